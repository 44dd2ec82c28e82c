package middleware

import "github.com/valyala/fasthttp"

// PeekHeader returns the last value of the header named lower (given in lower case),
// compared case-insensitively. The server keeps header names as sent
// (DisableHeaderNamesNormalizing), so fasthttp's own Peek would be case-sensitive.
func PeekHeader(h *fasthttp.RequestHeader, lower string) []byte {
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
