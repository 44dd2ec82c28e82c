// Package extra carries what Go middleware learned about a request (validated JWT claims,
// the parsed multipart form, ...) to the Python handler.
//
// Middleware calls Add with a key and a JSON value; the request record's last section is
// then one JSON object {"key": value, ...} that Python decodes only when a handler reads
// it (request.context, form fields, files). Requests nobody annotated carry nothing.
package extra

import (
	"sync"

	"github.com/valyala/fasthttp"
)

const userKey = "bolt.extra"

// buf is pooled: fasthttp calls Close on io.Closer user values when the request ends.
type buf struct{ b []byte }

var pool = sync.Pool{New: func() any { return &buf{b: make([]byte, 0, 256)} }}

func (x *buf) Close() error {
	if cap(x.b) <= 64<<10 {
		x.b = x.b[:0]
		pool.Put(x)
	}
	return nil
}

// Add records key -> rawJSON for the handler. rawJSON must be one valid JSON value and
// key a plain identifier (no quotes or backslashes); adding the same key twice keeps both
// and Python sees the last.
func Add(ctx *fasthttp.RequestCtx, key string, rawJSON []byte) {
	x, _ := ctx.UserValue(userKey).(*buf)
	if x == nil {
		x = pool.Get().(*buf)
		x.b = append(x.b, '{')
		ctx.SetUserValue(userKey, x)
	} else {
		x.b = append(x.b, ',')
	}
	x.b = append(x.b, '"')
	x.b = append(x.b, key...)
	x.b = append(x.b, '"', ':')
	x.b = append(x.b, rawJSON...)
}

// Present reports whether Add was called for this request.
func Present(ctx *fasthttp.RequestCtx) bool {
	_, ok := ctx.UserValue(userKey).(*buf)
	return ok
}

// AppendTo appends the JSON object built by Add (nothing when Add was never called).
func AppendTo(dst []byte, ctx *fasthttp.RequestCtx) []byte {
	x, _ := ctx.UserValue(userKey).(*buf)
	if x == nil {
		return dst
	}
	dst = append(dst, x.b...)
	return append(dst, '}')
}
