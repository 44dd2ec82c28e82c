package server

import (
	"slices"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/compress"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/cors"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/protect"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// A route's handler is its Python handler inside the route's Go middleware. Every step is
// compiled once per route (a route without CORS, auth, limits or compression gets the
// inner handler itself), so the hot path pays only for what the route uses.

// routeHandler is the handler the router calls for rt.
func (s *Server) routeHandler(rt *router.Compiled) fasthttp.RequestHandler {
	if rt.Flags&bridge.FlagWebSocket != 0 {
		return s.socketRoute(rt)
	}
	serve := s.pythonHandler(rt)
	if rt.Flags&bridge.FlagASGI != 0 || slices.Contains(s.cfg.RouteClient, rt.ID) {
		serve = withClientAddr(serve)
	}
	if rt.Flags&bridge.FlagASGI == 0 && slices.Contains(s.cfg.RouteClient, rt.ID) {
		serve = withRawQuery(serve) // an ASGI route's query section is the raw query already
	}
	return s.routeMiddleware(rt, serve)
}

// routeMiddleware wraps a route's handler in the route's Go middleware, listed in the
// order a request passes through them (the reply passes back in reverse).
func (s *Server) routeMiddleware(rt *router.Compiled, serve fasthttp.RequestHandler) fasthttp.RequestHandler {
	return s.routeChain(rt, serve, s.guards[rt.ID])
}

// routeChain is routeMiddleware with guard as its rate limit and auth step (nil: none; the
// loop front end checks a route's guard before it queues the request, and finishes the
// request through the chain without it: loop_routes.go).
func (s *Server) routeChain(rt *router.Compiled, serve fasthttp.RequestHandler, guard *protect.Route) fasthttp.RequestHandler {
	steps := [...]func(fasthttp.RequestHandler) fasthttp.RequestHandler{
		// Label the request with its route for metrics and the access log.
		func(next fasthttp.RequestHandler) fasthttp.RequestHandler { return s.observer.Tag(rt, next) },
		// Answer CORS preflights; add the CORS headers to whatever the reply is, errors too.
		func(next fasthttp.RequestHandler) fasthttp.RequestHandler {
			return cors.Wrap(s.cors[rt.ID], rt.Method != "OPTIONS", originOf, next)
		},
		// Compress the reply, including the error replies of the steps below.
		func(next fasthttp.RequestHandler) fasthttp.RequestHandler {
			return compress.Wrap(s.compress[rt.ID], next)
		},
		// Rate limit and authenticate before any Python work.
		func(next fasthttp.RequestHandler) fasthttp.RequestHandler {
			return protect.Wrap(guard, next)
		},
		// (The handler's latency metric is the bridge's measure: pythonHandler.)
	}
	for i := len(steps) - 1; i >= 0; i-- {
		serve = steps[i](serve)
	}
	return serve
}
