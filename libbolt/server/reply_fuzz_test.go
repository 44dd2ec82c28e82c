package server

import (
	"bytes"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/header"
)

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
			if !found || !header.IsTokenBytes(name) || bytes.ContainsAny(line, "\r\n") {
				t.Fatalf("block %q produced a bad header line %q in %q", block, line, wire)
			}
		}
	})
}
