package server

import (
	"fmt"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// compileCompression builds every route's compressor once: the route's own config (its
// API's CompressionConfig, or @no_compress) or else the global one.
func (s *Server) compileCompression() error {
	global, err := middleware.CompileCompress(s.cfg.Compression)
	if err != nil {
		return fmt.Errorf("compression settings: %w", err)
	}
	s.compress = map[uint16]*middleware.Compressor{}
	for _, rt := range s.cfg.Routes {
		p := global
		if c, ok := s.cfg.RouteCompression[rt.ID]; ok {
			if p, err = middleware.CompileCompress(c); err != nil {
				return fmt.Errorf("compression of %s %s: %w", rt.Method, rt.Path, err)
			}
		}
		if p != nil {
			s.compress[rt.ID] = p
		}
	}
	return nil
}

// compressed compresses what the route's handler wrote, when the route compresses at all.
func (s *Server) compressed(rt *router.Compiled, serve fasthttp.RequestHandler) fasthttp.RequestHandler {
	p := s.compress[rt.ID]
	if p == nil {
		return serve
	}
	return func(ctx *fasthttp.RequestCtx) {
		serve(ctx)
		p.Apply(ctx)
	}
}
