package server

import (
	"bytes"
	"testing"
)

// FuzzFraming: the bare-LF scan (framing.go) gives the same answer however the bytes of
// a connection are split across reads, and finds a bare LF in the first head exactly when
// a whole-buffer reference does.
func FuzzFraming(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: t\r\n\r\nbody\nwith LF"), uint8(3))
	f.Add([]byte("GET / HTTP/1.1\nHost: t\n\n"), uint8(1))
	f.Add([]byte("GET / HTTP/1.1\r\nX: a\nB: c\r\n\r\n"), uint8(7))
	f.Add([]byte("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\na\nbGET / HTTP/1.1\nHost: t\n\n"), uint8(5))
	f.Add([]byte("\r\n\r\nGET / HTTP/1.1\r\nContent-Length: 2\r\n\r\n\n\nGET / HTTP/1.1\nX: y\r\n\r\n"), uint8(4))
	f.Add([]byte("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\n\n\n\n\r\n0\r\nT: v\r\n\r\nGET / HTTP/1.1\nH: t\r\n\r\n"), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		// Reference: a bare LF in the first head, which starts after any blank lines (as
		// fasthttp skips them) and ends at the first CRLFCRLF after that.
		want := 0
		head := data
		for bytes.HasPrefix(head, []byte("\r\n")) {
			head = head[2:]
		}
		end := bytes.Index(head, []byte("\r\n\r\n"))
		if end >= 0 {
			head = head[:end+4]
		}
		for i, c := range head {
			if c == '\n' && (i == 0 || head[i-1] != '\r') {
				want = 1
				break
			}
		}
		var whole, split framing
		whole.scan(data)
		n := int(step%16) + 1
		for i := 0; i < len(data); i += n {
			split.scan(data[i:min(i+n, len(data))])
		}
		if whole.bad != split.bad || whole.heads != split.heads || whole.state != split.state {
			t.Fatalf("scan(%q) whole: bad %d heads %d state %d; in steps of %d: bad %d heads %d state %d",
				data, whole.bad, whole.heads, whole.state, n, split.bad, split.heads, split.state)
		}
		if (want == 1) != (whole.bad == 1) {
			t.Fatalf("scan(%q): bad %d, want a bare LF in the first head: %v", data, whole.bad, want == 1)
		}
	})
}

// FuzzHostChecks: host parsing never panics, and a host always matches itself when allowed.
func FuzzHostChecks(f *testing.F) {
	f.Add([]byte("API.example.com:8000"), []byte("http://user@x.org:1/p?q"))
	f.Add([]byte("[::1]:80"), []byte("https://[::1]/"))
	f.Fuzz(func(t *testing.T, host, target []byte) {
		_ = absoluteAuthority(target)
		name := hostName(host, nil)
		if len(name) == 0 || bytes.ContainsAny(name, ":") && name[0] != '[' {
			return
		}
		m := newHostMatcher([]string{string(name)})
		if !m.allows(host) {
			t.Fatalf("host %q (name %q) not allowed by itself", host, name)
		}
		_ = isJSONType(target)
	})
}

// BenchmarkFraming: the scan's cost per request for a wrk-sized /hello head.
func BenchmarkFraming(b *testing.B) {
	head := []byte("GET /hello HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n")
	var f framing
	b.SetBytes(int64(len(head)))
	for b.Loop() {
		f.scan(head)
	}
}
