package server

import (
	"encoding/json"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/extra"
)

// withRawQuery puts the query string as the client sent it in the record's extra section as
// "query_string" (Python's request.META["QUERY_STRING"], not re-encoded: Django passes it
// through raw). Only routes whose handler or middleware takes the request get it (the same
// routes as the client address), and only when there is a query: other routes pay nothing.
func withRawQuery(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if q := ctx.URI().QueryString(); len(q) > 0 {
			var buf [256]byte
			extra.Add(ctx, "query_string", appendJSONString(buf[:0], q))
		}
		next(ctx)
	}
}

// appendJSONString appends s as a JSON string. A query string is printable ASCII when the
// client percent-encodes as RFC 3986 asks, and is then copied as it is; anything else
// (quotes, control bytes, raw UTF-8, invalid UTF-8) goes through encoding/json, which
// replaces invalid UTF-8 with U+FFFD as Django does when it decodes QUERY_STRING.
func appendJSONString(dst, s []byte) []byte {
	for _, c := range s {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			b, _ := json.Marshal(string(s)) // a string always marshals
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
