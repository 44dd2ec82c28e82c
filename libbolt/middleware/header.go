package middleware

import "github.com/valyala/fasthttp"

// PeekHeader returns the last value of the header named lower (given in lower case),
// compared case-insensitively. The server keeps header names as sent
// (DisableHeaderNamesNormalizing), so fasthttp's own Peek would be case-sensitive.
func PeekHeader(h *fasthttp.RequestHeader, lower string) []byte {
	var v []byte
	for k, val := range h.All() {
		if len(k) == len(lower) && equalFoldLower(k, lower) {
			v = val
		}
	}
	return v
}

func equalFoldLower(b []byte, lower string) bool {
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
