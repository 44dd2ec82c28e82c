package server

import (
	"bytes"
	"strings"
	"testing"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/header"
)

// FuzzScanHeaders feeds arbitrary header blocks to the pre-routing checks: they never
// panic, and whatever they accept has only token names, no folded lines, at most the
// allowed number of lines and at most one framing header, and Transfer-Encoding only as
// "chunked".
func FuzzScanHeaders(f *testing.F) {
	for _, s := range []string{
		"Host: t\r\n\r\n", "Host: t\r\nX A: b\r\n\r\n", "Host: t\r\n X: folded\r\n\r\n",
		"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", "transfer-encoding: identity\r\n\r\n",
		"Origin: https://a\r\nAccess-Control-Request-Method: GET\r\n\r\n", "x-request-id: abc\r\n\r\n",
		"NoColon\r\n\r\n", ":\r\n", "\n\n\r\n", "A:b\nB:c\n",
	} {
		f.Add([]byte(s))
	}
	const maxHeaders = 8
	f.Fuzz(func(t *testing.T, raw []byte) {
		var facts headerFacts
		status, body := scanHeaders(raw, maxHeaders, &facts)
		if status != 0 {
			if len(body) == 0 {
				t.Fatalf("status %d without a body", status)
			}
			return
		}
		lines := 0
		for line := range bytes.SplitSeq(raw, []byte("\n")) {
			line = bytes.TrimSuffix(line, []byte("\r"))
			if len(line) == 0 {
				continue
			}
			lines++
			name, value, ok := bytes.Cut(line, []byte(":"))
			if !ok || !header.IsTokenBytes(name) {
				t.Fatalf("accepted line %q", line)
			}
			if strings.EqualFold(string(name), "transfer-encoding") &&
				!strings.EqualFold(strings.Trim(string(value), " \t"), "chunked") {
				t.Fatalf("accepted Transfer-Encoding %q", value)
			}
		}
		if lines > maxHeaders {
			t.Fatalf("accepted %d lines", lines)
		}
		if facts.encodings > 0 && facts.lengths > 0 {
			t.Fatalf("accepted both Content-Length and Transfer-Encoding in %q", raw)
		}
		if facts.requestID != nil && !bytes.Contains(raw, facts.requestID) {
			t.Fatalf("request id %q is not from the input", facts.requestID)
		}
	})
}

// FuzzValidRequestID: an accepted id is safe to echo in a header and to log.
func FuzzValidRequestID(f *testing.F) {
	for _, s := range []string{"", "abc", "a b", "a\r\nb", strings.Repeat("x", 129), "é"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, id []byte) {
		if !validRequestID(id) {
			return
		}
		if len(id) == 0 || len(id) > maxRequestIDLen {
			t.Fatalf("accepted length %d", len(id))
		}
		for _, c := range id {
			if c <= ' ' || c >= 0x7f {
				t.Fatalf("accepted byte %#x in %q", c, id)
			}
		}
	})
}
