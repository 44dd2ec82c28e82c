package server

import (
	"slices"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// What the loop front end is to do with each route (computed once, at start-up; see
// loop_linux.go). Its loops may serve a route when nothing in its chain blocks a loop; the
// steps that run after the handler answered (the CORS headers, compression, and the
// observation: metrics and the access log) then run on the request's completion instead
// of after next(ctx) returns. fasthttp keeps (the loop hands the connection on):
//   - WebSocket routes (the upgrade) and multipart routes (spooled to disk);
//   - ASGI routes and routes that pass the client address (withClientAddr, withRawQuery);
//   - routes whose auth or rate limit can wait on the network (a JWKS URL, revocations or a
//     limit kept in Redis: protect.Route.MayBlock), which must not block a loop. Other
//     guards (a JWT with its key given, API keys, an in-memory limit) are checked on the
//     loop before the request is queued (loopServeGuarded).

// loopPlan is what the loops do with one route.
type loopPlan uint8

const (
	// loopHandOn: fasthttp serves the route; a connection that asks for it is handed on.
	loopHandOn loopPlan = iota
	// loopServe: the loops serve it; only the observation runs on completion.
	loopServe
	// loopServeAfter: the loops serve it, with CORS and/or compression run on completion
	// (compression is on for every route by default, so this is the common plan).
	loopServeAfter
	// loopServeGuarded: the loops serve it and check its guard (auth, rate limit) first.
	loopServeGuarded
)

// loopPlans is the plan of every route, by route id.
func (s *Server) loopPlans(routes []router.Route) map[uint16]loopPlan {
	out := make(map[uint16]loopPlan, len(routes))
	for _, rt := range routes {
		out[rt.ID] = s.loopPlan(rt.ID, rt.Flags)
	}
	return out
}

func (s *Server) loopPlan(id, flags uint16) loopPlan {
	switch {
	case flags&(bridge.FlagWebSocket|bridge.FlagMultipart|bridge.FlagASGI) != 0,
		slices.Contains(s.cfg.RouteClient, id),
		s.guards[id] != nil && s.guards[id].MayBlock():
		return loopHandOn
	case s.guards[id] != nil:
		return loopServeGuarded
	case s.cors[id] != nil || s.compress[id] != nil:
		return loopServeAfter
	}
	return loopServe
}

// loopRoute is what a loop needs to serve one route, computed at start-up: pythonHandler's
// settings, and the route's chain with the Python step replaced by loopReply (finish), run
// once the outcome is in.
type loopRoute struct {
	rt             *router.Compiled
	method         uint8
	timeout        time.Duration
	limit          int // the route's body limit (0: it takes no body)
	jsonOnly       bool
	observeHandler func(time.Duration)
	finish         fasthttp.RequestHandler
	// guard checks the route's auth and rate limit before the request is queued (nil:
	// none): protect's step around loopPass, which marks the request as let through.
	guard fasthttp.RequestHandler
}
