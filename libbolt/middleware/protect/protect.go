package server

import (
	"fmt"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/auth"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// protection is what runs before a route's Python handler: rate limiting and
// authentication with guards, compiled once per route.
type protection struct {
	auth  *auth.Route
	limit *middleware.RateLimit
}

var hWWWAuthenticate = []byte("WWW-Authenticate")

// compileProtection builds every route's auth and rate limit; a weak JWT secret, an
// unknown algorithm or a bad proxy address fails start-up here.
func (s *Server) compileProtection() error {
	var now func() time.Time
	if s.cfg.ClockUnix > 0 {
		now = auth.FixedClock(s.cfg.ClockUnix)
	}
	backends, err := auth.CompileBackends(s.cfg.AuthBackends, now)
	if err != nil {
		return err
	}
	s.backends = backends
	proxies, err := middleware.ParseTrustedProxies(s.cfg.TrustedProxies)
	if err != nil {
		backends.Release()
		return err
	}
	var store *middleware.BucketStore
	s.guards = map[uint16]*protection{}
	for _, rt := range s.cfg.Routes {
		p := &protection{}
		if c := s.cfg.RouteAuth[rt.ID]; c != nil {
			if p.auth, err = auth.CompileRoute(c, backends); err != nil {
				backends.Release()
				return fmt.Errorf("auth on %s %s: %w", rt.Method, rt.Path, err)
			}
		}
		if c := s.cfg.RouteRateLimit[rt.ID]; c != nil {
			if store == nil {
				store = middleware.NewBucketStore(s.cfg.RateLimitMaxKeys)
			}
			if p.limit, err = middleware.CompileRateLimit(c, rt.ID, store, proxies, now); err != nil {
				backends.Release()
				return fmt.Errorf("@rate_limit on %s %s: %w", rt.Method, rt.Path, err)
			}
		}
		if p.auth != nil || p.limit != nil {
			s.guards[rt.ID] = p
		}
	}
	return nil
}

// protect wraps next with the route's rate limit and auth; routes without either get
// next itself and pay nothing. Order: a limit keyed by address or header runs first (a
// flood is refused before any token is checked), a limit keyed by user after auth.
func (s *Server) protect(rt *router.Compiled, next fasthttp.RequestHandler) fasthttp.RequestHandler {
	p := s.guards[rt.ID]
	if p == nil {
		return next
	}
	return func(ctx *fasthttp.RequestCtx) {
		early := p.limit != nil && !p.limit.ByUser()
		if early && !p.limit.Allow(ctx, "") {
			return
		}
		var userID string
		if p.auth != nil {
			id, denied := p.auth.Check(ctx)
			if denied != nil {
				if denied.Challenge != nil {
					ctx.Response.Header.SetBytesKV(hWWWAuthenticate, denied.Challenge)
				}
				writeError(ctx, denied.Status, denied.Body)
				return
			}
			if id != nil {
				userID = id.UserID
			}
		}
		if p.limit != nil && !early && !p.limit.Allow(ctx, userID) {
			return
		}
		next(ctx)
	}
}
