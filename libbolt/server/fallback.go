package server

import (
	"bytes"
	"net"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/extra"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// unmatched answers requests that no route matched: STATIC_URL from disk, then the
// fallback route (Django's ASGI handler in Python) unless the path is excluded, then a JSON
// 404. A path an API route owns with another method never gets here: the router answers
// 405 for it, so the API keeps its paths.
func (s *Server) unmatched() fasthttp.RequestHandler {
	fb := s.cfg.Fallback
	if fb == nil && s.cfg.Static == nil && s.cfg.Media == nil {
		return notFound
	}
	var byMethod map[string]fasthttp.RequestHandler
	var exclude [][]byte
	if fb != nil {
		// One compiled handler per method: the record's method code is fixed per handler.
		byMethod = make(map[string]fasthttp.RequestHandler, len(bridge.MethodCodes))
		for m := range bridge.MethodCodes {
			byMethod[m] = s.routeHandler(&router.Compiled{Route: router.Route{ID: fb.Route, Method: m, Flags: bridge.FlagHeaders | bridge.FlagASGI}})
		}
		for _, p := range fb.Exclude {
			exclude = append(exclude, []byte(p))
		}
	}
	return func(ctx *fasthttp.RequestCtx) {
		path := ctx.Path()
		if s.static != nil && s.static.Match(path) {
			s.static.Serve(ctx)
			return
		}
		if s.media != nil && s.media.Match(path) {
			s.media.Serve(ctx)
			return
		}
		if byMethod != nil && !hasAnyPrefix(path, exclude) {
			if h := byMethod[string(ctx.Method())]; h != nil {
				h(ctx)
				return
			}
		}
		notFound(ctx)
	}
}

func hasAnyPrefix(path []byte, prefixes [][]byte) bool {
	for _, p := range prefixes {
		if bytes.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// withClientAddr puts the peer address in the record's extra section as
// "client": ["host", port] (the ASGI scope's client).
func withClientAddr(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		var buf [64]byte
		b := append(buf[:0], `["`...)
		port := 0
		if a, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
			b = append(b, a.IP.String()...)
			port = a.Port
		}
		b = append(b, `",`...)
		b = strconv.AppendInt(b, int64(port), 10)
		b = append(b, ']')
		extra.Add(ctx, "client", b)
		next(ctx)
	}
}
