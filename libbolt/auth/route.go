package auth

import (
	"fmt"

	jsoniter "github.com/json-iterator/go"
	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/extra"
)

// Route is the compiled auth of one route.
type Route struct {
	backends  []authenticator
	guards    []guard
	needsAuth bool // some guard fails without an identity
	deferred  bool // Python finishes the decision (session backend, custom guards)
}

// CompileRoute resolves a route's backends and compiles its guards.
func CompileRoute(c *RouteConfig, all Backends) (*Route, error) {
	r := &Route{deferred: c.Deferred}
	for _, i := range c.Backends {
		if i < 0 || i >= len(all) {
			return nil, fmt.Errorf("backend index %d out of range (have %d)", i, len(all))
		}
		r.backends = append(r.backends, all[i])
	}
	for _, g := range c.Guards {
		cg, err := compileGuard(g)
		if err != nil {
			return nil, err
		}
		r.needsAuth = r.needsAuth || cg.needsAuth
		r.guards = append(r.guards, cg)
	}
	return r, nil
}

// MayBlock reports whether Check can wait on the network: a backend whose key set is
// fetched from a URL (an unknown kid refetches it) or whose revocations are kept in Redis.
// The loop front end serves only routes whose checks never do (libbolt/server).
func (r *Route) MayBlock() bool {
	for _, b := range r.backends {
		if nb, ok := b.(interface{ mayBlock() bool }); ok && nb.mayBlock() {
			return true
		}
	}
	return false
}

// Denial is a refused request: the status (401 or 403), the JSON body, and for a 401 the
// WWW-Authenticate value.
type Denial struct {
	Status    int
	Body      []byte
	Challenge []byte
}

var (
	bodyNoCredentials = detail("Authentication credentials were not provided.")
	bodyForbidden     = detail("You do not have permission to perform this action.")
)

func detail(s string) []byte {
	b, _ := jsoniter.Marshal(map[string]string{"detail": s})
	return b
}

// Check authenticates the request with the route's backends (the first that recognises
// credentials decides), attaches the identity for Python as request.context, and runs
// the guards. Per django-bolt, backends alone never reject: guards do.
func (r *Route) Check(ctx *fasthttp.RequestCtx) (*Identity, *Denial) {
	var id *Identity
	var failure *Failure
	var failed authenticator
	for _, b := range r.backends {
		got, f := b.authenticate(ctx)
		if got != nil {
			id = got
			break
		}
		if f != nil && failure == nil {
			failure, failed = f, b
		}
	}
	if id != nil {
		var buf [512]byte
		extra.Add(ctx, "context", id.AppendContext(buf[:0]))
	}
	if r.deferred {
		return id, nil
	}
	if id == nil {
		if !r.needsAuth {
			return nil, nil
		}
		return nil, r.unauthorized(failure, failed)
	}
	for _, g := range r.guards {
		if !g.allow(id) {
			return id, &Denial{Status: fasthttp.StatusForbidden, Body: bodyForbidden}
		}
	}
	return id, nil
}

func (r *Route) unauthorized(f *Failure, from authenticator) *Denial {
	d := &Denial{Status: fasthttp.StatusUnauthorized, Body: bodyNoCredentials}
	if f != nil {
		d.Body = detail(f.Description)
		d.Challenge = from.challenge(f)
		return d
	}
	for _, b := range r.backends {
		if c := b.challenge(nil); c != nil {
			d.Challenge = c
			break
		}
	}
	return d
}
