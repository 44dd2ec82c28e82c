// Package protect runs a route's authentication, guards and rate limit before its Python
// handler: compiled once per route at start-up, a nil check for routes without either.
package protect

import (
	"fmt"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/auth"
	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/httperr"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/ratelimit"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
	"github.com/django-bolt-go/django-bolt-go/libbolt/state"
)

// Config is the part of the server's start-up config that protection is built from.
type Config struct {
	Backends       []auth.BackendConfig         // the API's backends, once
	RouteAuth      map[uint16]*auth.RouteConfig // per route id: backends (by index) and guards
	RouteRateLimit map[uint16]*ratelimit.Config // per route id (global default resolved in Python)
	TrustedProxies []string                     // peers whose forwarding headers are believed
	MaxKeys        int                          // rate-limit key store bound
	ClockUnix      float64                      // frozen clock (tests only; 0: real)
	// State is the shared store (DJANGO_BOLT["STATE"]); nil: rate limits and revocations
	// are per process.
	State  *state.Store
	Routes []router.Route
}

// Route is what runs before a route's Python handler: rate limiting and authentication
// with guards.
type Route struct {
	auth  *auth.Route
	limit *ratelimit.Limit
	// sharedLimit: the limit's buckets are in Redis (DJANGO_BOLT["STATE"]).
	sharedLimit bool
}

// MayBlock reports whether the route's checks can wait on the network (a JWKS URL, Redis
// revocations, a limit kept in Redis); the loop front end serves only routes whose checks
// never do.
func (p *Route) MayBlock() bool {
	return p.auth != nil && p.auth.MayBlock() || p.limit != nil && p.sharedLimit
}

var hWWWAuthenticate = []byte("WWW-Authenticate")

// Compile builds every route's auth and rate limit; a weak JWT secret, an unknown
// algorithm or a bad proxy address fails start-up here. Routes without either have no
// entry. The caller releases the backends (their revocation stores) when done; on error
// nothing is left registered.
func Compile(c *Config) (routes map[uint16]*Route, backends auth.Backends, err error) {
	var now func() time.Time
	if c.ClockUnix > 0 {
		now = auth.FixedClock(c.ClockUnix)
	}
	if backends, err = auth.CompileBackends(c.Backends, now); err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			backends.Release()
			backends = nil
		}
	}()
	if err = backends.ShareRevocations(c.State); err != nil {
		return nil, nil, err
	}
	proxies, err := ratelimit.ParseTrustedProxies(c.TrustedProxies)
	if err != nil {
		return nil, nil, err
	}
	var store ratelimit.Store
	routes = map[uint16]*Route{}
	for _, rt := range c.Routes {
		p := &Route{}
		if rc := c.RouteAuth[rt.ID]; rc != nil {
			if p.auth, err = auth.CompileRoute(rc, backends); err != nil {
				return nil, nil, fmt.Errorf("auth on %s %s: %w", rt.Method, rt.Path, err)
			}
		}
		if lc := c.RouteRateLimit[rt.ID]; lc != nil {
			if store == nil {
				store = newLimitStore(c)
			}
			if p.limit, err = ratelimit.Compile(lc, rt.ID, store, proxies, now); err != nil {
				return nil, nil, fmt.Errorf("@rate_limit on %s %s: %w", rt.Method, rt.Path, err)
			}
			p.sharedLimit = c.State != nil
		}
		if p.auth != nil || p.limit != nil {
			routes[rt.ID] = p
		}
	}
	return routes, backends, nil
}

// Wrap wraps next with the route's rate limit and auth; a nil p (a route without either)
// gets next itself and pays nothing. Order: a limit keyed by address or header runs first
// (a flood is refused before any token is checked), a limit keyed by user after auth.
func Wrap(p *Route, next fasthttp.RequestHandler) fasthttp.RequestHandler {
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
				httperr.Write(ctx, denied.Status, denied.Body)
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

// newLimitStore keeps the buckets in Redis when a shared store is configured, else in
// this process.
func newLimitStore(c *Config) ratelimit.Store {
	if c.State != nil {
		return ratelimit.NewSharedStore(c.State)
	}
	return ratelimit.NewBucketStore(c.MaxKeys)
}
