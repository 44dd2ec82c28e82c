package cors

import (
	"fmt"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// CompileRoutes builds every route's policy once: the route's own (@cors) or else the
// global one. Routes without a policy have no entry.
func CompileRoutes(global *Config, perRoute map[uint16]*Config, routes []router.Route) (map[uint16]*Policy, error) {
	var def *Policy
	if global != nil {
		var err error
		if def, err = Compile(global); err != nil {
			return nil, fmt.Errorf("CORS settings: %w", err)
		}
	}
	out := map[uint16]*Policy{}
	for _, rt := range routes {
		p := def
		if c := perRoute[rt.ID]; c != nil {
			var err error
			if p, err = Compile(c); err != nil {
				return nil, fmt.Errorf("@cors on %s %s: %w", rt.Method, rt.Path, err)
			}
		}
		if p != nil {
			out[rt.ID] = p
		}
	}
	return out, nil
}

// Wrap answers preflights with the route's policy p and adds its headers to what serve
// wrote. origin returns the request's Origin (the server's front parsed it already).
// preflightable is false for an OPTIONS route: only a non-OPTIONS route receives an
// OPTIONS request that is a CORS preflight for it.
func Wrap(p *Policy, preflightable bool, origin func(*fasthttp.RequestCtx) []byte, serve fasthttp.RequestHandler) fasthttp.RequestHandler {
	if p == nil {
		return func(ctx *fasthttp.RequestCtx) {
			if preflightable && ctx.IsOptions() {
				ctx.SetStatusCode(fasthttp.StatusOK) // no policy: no CORS headers
				return
			}
			serve(ctx)
		}
	}
	return func(ctx *fasthttp.RequestCtx) {
		o := origin(ctx)
		if preflightable && ctx.IsOptions() {
			p.Preflight(ctx, o)
			return
		}
		serve(ctx)
		p.Apply(&ctx.Response.Header, o)
	}
}
