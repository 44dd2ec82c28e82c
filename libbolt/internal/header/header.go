// Package header holds the byte-level header helpers shared by the server and the
// middleware: case-insensitive lookups (header names are kept as sent), OWS trimming,
// Vary merging and RFC 9110 token checks.
package header

import (
	"bytes"

	"github.com/valyala/fasthttp"
)

// Peek returns the last value of the header named lower (given in lower case),
// compared case-insensitively. The server keeps header names as sent
// (DisableHeaderNamesNormalizing), so fasthttp's own Peek would be case-sensitive.
func Peek(h *fasthttp.RequestHeader, lower string) []byte {
	var v []byte
	for k, val := range h.All() {
		if EqualFoldLower(k, lower) {
			v = val
		}
	}
	return v
}

// EqualFoldLower compares b with a lower-case ASCII name, ignoring the case of b (header
// names and tokens; RFC 9110 5.1).
func EqualFoldLower(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// TrimOWS strips optional whitespace around a header value or list element (RFC 9110 5.6.3).
func TrimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

var hVary = []byte("Vary")

// AddVary adds value to Vary unless it is already listed (or Vary is "*").
func AddVary(h *fasthttp.ResponseHeader, value []byte) {
	v := h.PeekBytes(hVary)
	if len(v) == 0 {
		h.AddBytesKV(hVary, value) // none yet: no search for one to replace
		return
	}
	for part := range bytes.SplitSeq(v, []byte{','}) {
		if p := TrimOWS(part); bytes.EqualFold(p, value) || (len(p) == 1 && p[0] == '*') {
			return
		}
	}
	out := make([]byte, 0, len(v)+2+len(value))
	out = append(append(append(out, v...), ", "...), value...)
	h.SetBytesKV(hVary, out)
}

// IsToken reports whether s is an RFC 9110 token (a method or header name).
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if !IsTokenChar(s[i]) {
			return false
		}
	}
	return true
}

// IsTokenBytes is IsToken for bytes (a header name a handler returned).
func IsTokenBytes(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if !IsTokenChar(c) {
			return false
		}
	}
	return true
}

// IsTokenChar reports whether c is an RFC 9110 "tchar".
func IsTokenChar(c byte) bool { return c < 0x80 && tokenChars[c] }

var tokenChars = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()
