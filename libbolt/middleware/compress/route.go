package compress

import (
	"fmt"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// CompileRoutes builds every route's compressor once: the route's own config (its API's
// CompressionConfig, or @no_compress) or else the global one. Routes that do not compress
// have no entry.
func CompileRoutes(global *Config, perRoute map[uint16]*Config, routes []router.Route) (map[uint16]*Compressor, error) {
	def, err := Compile(global)
	if err != nil {
		return nil, fmt.Errorf("compression settings: %w", err)
	}
	out := map[uint16]*Compressor{}
	for _, rt := range routes {
		p := def
		if c, ok := perRoute[rt.ID]; ok {
			if p, err = Compile(c); err != nil {
				return nil, fmt.Errorf("compression of %s %s: %w", rt.Method, rt.Path, err)
			}
		}
		if p != nil {
			out[rt.ID] = p
		}
	}
	return out, nil
}

// Wrap compresses what serve wrote; a nil p (a route that does not compress) gets serve
// itself.
func Wrap(p *Compressor, serve fasthttp.RequestHandler) fasthttp.RequestHandler {
	if p == nil {
		return serve
	}
	return func(ctx *fasthttp.RequestCtx) {
		serve(ctx)
		p.Apply(ctx)
	}
}
