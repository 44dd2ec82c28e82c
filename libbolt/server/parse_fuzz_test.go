package server

import (
	"bytes"
	"net/url"
	"testing"
	"unicode/utf8"

	"github.com/valyala/fasthttp"
)

// FuzzAppendUnescaped checks the path-parameter decoder against net/url: it accepts
// exactly the escapes url.PathUnescape accepts, decodes them the same way, and never lets
// NUL or invalid UTF-8 through.
func FuzzAppendUnescaped(f *testing.F) {
	for _, s := range []string{"", "abc", "a%2Fb", "%00", "%zz", "ab%", "ab%4", "%C3%A9", "%FF", "%2541", "a+b%20"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := appendUnescaped([]byte("prefix"), s)
		if !bytes.HasPrefix(got, []byte("prefix")) {
			t.Fatalf("dst prefix clobbered: %q", got)
		}
		decoded := got[len("prefix"):]
		want, err := url.PathUnescape(s)
		switch {
		case ok && (err != nil || string(decoded) != want):
			t.Fatalf("appendUnescaped(%q) = %q, url.PathUnescape = %q, %v", s, decoded, want, err)
		case ok && (bytes.IndexByte(decoded, 0) >= 0 || !utf8.Valid(decoded)):
			t.Fatalf("appendUnescaped(%q) let %q through", s, decoded)
		case !ok && err == nil && utf8.ValidString(want) && !bytes.Contains([]byte(want), []byte{0}):
			t.Fatalf("appendUnescaped(%q) refused clean input %q", s, want)
		}
	})
}

// FuzzAddHeaders feeds arbitrary header blocks from "Python": whatever is accepted must
// serialise to well-formed header lines, so a handler can never add a line or a status of
// its own to the response.
func FuzzAddHeaders(f *testing.F) {
	for _, s := range []string{"", "X-A\x00b", "X-A\x00b\x00", "X-A\x00b\x00X-A\x00c", "X-A", "\x00v",
		"X-A\x00v\r\nX-B: c", "X-A\r\n\x00v", "Content-Length\x009", "Set-Cookie\x00a=b", "X-A\x00\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, block []byte) {
		var h fasthttp.ResponseHeader
		h.DisableNormalizing()
		h.SetNoDefaultContentType(true)
		h.SetStatusCode(200)
		if msg := addHeaders(&h, block); msg != "" {
			return
		}
		wire := h.Header()
		head, ok := bytes.CutSuffix(wire, []byte("\r\n\r\n"))
		if !ok {
			t.Fatalf("header block does not end with a blank line: %q", wire)
		}
		lines := bytes.Split(head, []byte("\r\n"))
		for _, line := range lines[1:] {
			name, _, found := bytes.Cut(line, []byte(": "))
			if !found || !validHeaderName(name) || bytes.ContainsAny(line, "\r\n") {
				t.Fatalf("block %q produced a bad header line %q in %q", block, line, wire)
			}
		}
	})
}
