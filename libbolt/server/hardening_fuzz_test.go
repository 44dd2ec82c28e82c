package server

import (
	"bytes"
	"testing"
)

// FuzzScanHead: countedConn's bare-LF check gives the same answer however the bytes of a
// request head are split across reads, and the answer of a whole-buffer reference.
func FuzzScanHead(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: t\r\n\r\nbody\nwith LF"), uint8(3))
	f.Add([]byte("GET / HTTP/1.1\nHost: t\n\n"), uint8(1))
	f.Add([]byte("GET / HTTP/1.1\r\nX: a\nB: c\r\n\r\n"), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		want := true // reference: a bare LF before the first CRLFCRLF
		end := bytes.Index(data, []byte("\r\n\r\n"))
		head := data
		if end >= 0 {
			head = data[:end+4]
		}
		for i, c := range head {
			if c == '\n' && (i == 0 || head[i-1] != '\r') {
				want = false
				break
			}
		}
		c := &countedConn{}
		got, n := true, int(step%16)+1
		for i := 0; i < len(data) && !c.headDone; i += n {
			if !c.scanHead(data[i:min(i+n, len(data))]) {
				got = false
				break
			}
		}
		if got != want {
			t.Fatalf("scanHead(%q in steps of %d) = %v, want %v", data, n, got, want)
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
