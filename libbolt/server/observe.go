package server

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	jsoniter "github.com/json-iterator/go"
	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/accesslog"
	"github.com/django-bolt-go/django-bolt-go/libbolt/extra"
	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/header"
	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/httperr"
	"github.com/django-bolt-go/django-bolt-go/libbolt/metrics"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// Observability: /metrics and the access log. Both see every request, routed or not, by
// wrapping front; a route handler tags the request with its route so that both label it
// with the route template.

// routeKey is the ctx user value naming the route that handled a request.
const routeKey = "bolt.route"

// observedRoute is what the observer needs to know about a route, built once.
type observedRoute struct {
	template string
	metrics  *metrics.Route // nil when metrics are off
}

var (
	metricsContentType = []byte("text/plain; version=0.0.4; charset=utf-8")
	bearerPrefix       = []byte("Bearer ")
	metricsAuthBody    = httperr.Body("Metrics require a bearer token")
	hWWWAuthenticate   = []byte("WWW-Authenticate")
)

// compileObservability sets up metrics and the access log from the config.
func (s *Server) compileObservability() error {
	cfg := s.cfg
	if p := *cfg.MetricsPath; p != "" {
		s.metricsPath = []byte(p)
		if cfg.MetricsToken != "" {
			s.metricsToken = []byte(cfg.MetricsToken)
		}
	}
	if cfg.AccessLog != nil {
		var err error
		if s.access, err = accesslog.New(cfg.AccessLog, os.Stderr); err != nil {
			return fmt.Errorf("access log settings: %w", err)
		}
	}
	if s.metricsPath != nil {
		specs := make([]metrics.RouteSpec, len(cfg.Routes))
		for i, rt := range cfg.Routes {
			specs[i] = metrics.RouteSpec{ID: rt.ID, Method: rt.Method, Path: rt.Path}
		}
		var special []string
		if s.health != nil {
			special = append(special, string(s.health))
		}
		special = append(special, string(s.metricsPath))
		src := metrics.Sources{Bridge: s.Bridge, OpenConnections: s.capped.open.Load}
		if s.access != nil {
			src.AccessLogDrops = s.access.Dropped
		}
		s.metrics = metrics.New(specs, special, src)
		s.capped.writeErrors = &s.metrics.WriteErrors
	}
	if s.metrics == nil && s.access == nil {
		return nil
	}
	s.observed = map[uint16]*observedRoute{}
	for _, rt := range cfg.Routes {
		o := &observedRoute{template: rt.Path}
		if s.metrics != nil {
			o.metrics = s.metrics.Route(rt.ID)
		}
		s.observed[rt.ID] = o
	}
	return nil
}

// timedHandler measures the Python handler of a route, with metrics on: Go-side time from
// handing the request over to having written the reply.
func (s *Server) timedHandler(rt *router.Compiled, python fasthttp.RequestHandler) fasthttp.RequestHandler {
	o := s.observed[rt.ID]
	if o == nil || o.metrics == nil {
		return python
	}
	return func(ctx *fasthttp.RequestCtx) {
		// Offsets from the request's start (observe read it): two monotonic clock reads
		// instead of time.Now's wall and monotonic pair.
		start := ctx.Time()
		before := time.Since(start)
		python(ctx)
		o.metrics.ObserveHandler(time.Since(start) - before)
	}
}

// tagRoute marks a request as handled by rt, for the labels of metrics and access logs.
func (s *Server) tagRoute(rt *router.Compiled, handler fasthttp.RequestHandler) fasthttp.RequestHandler {
	o := s.observed[rt.ID]
	if o == nil {
		return handler
	}
	return func(ctx *fasthttp.RequestCtx) {
		ctx.SetUserValue(routeKey, o)
		handler(ctx)
	}
}

// observe wraps the server's handler with metrics and access logging, when either is on.
func (s *Server) observe(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	if s.metrics == nil && s.access == nil {
		return next
	}
	return func(ctx *fasthttp.RequestCtx) {
		start := ctx.Time() // read once per request (Server.LazyRequestTime), shared with timedHandler
		if s.metrics != nil {
			s.metrics.Begin()
		}
		next(ctx)
		d := time.Since(start)
		o, _ := ctx.UserValue(routeKey).(*observedRoute)
		status := ctx.Response.StatusCode()
		if s.metrics != nil {
			var mr *metrics.Route
			if o != nil {
				mr = o.metrics
			} else {
				mr = s.metrics.Unrouted(ctx.Method(), ctx.Path())
			}
			s.metrics.End(mr, status, d)
		}
		if s.access != nil && s.access.Wants(d) {
			s.logAccess(ctx, o, status, start, d)
		}
	}
}

func (s *Server) logAccess(ctx *fasthttp.RequestCtx, o *observedRoute, status int, start time.Time, d time.Duration) {
	e := accesslog.Entry{
		Time: start, RequestID: requestID(ctx), Method: ctx.Method(), Path: ctx.Path(),
		Status: status, Duration: d, ClientIP: peerAddr(ctx),
	}
	// Body() would drain a body stream (a streamed reply, a file) into memory: ask the
	// stream's declared length instead (-1 for chunked: logged as 0).
	if ctx.Response.IsBodyStream() {
		e.Bytes = max(ctx.Response.Header.ContentLength(), 0)
	} else {
		e.Bytes = len(ctx.Response.Body())
	}
	if o != nil {
		e.Route = o.template
	}
	// Only requests that Go middleware annotated (auth) are searched for a user id. Speed:
	// a stack buffer handed to AppendTo escaped (jsoniter keeps it), 512 B allocated per
	// logged request (BenchmarkChain/accesslog).
	if extra.Present(ctx) {
		e.UserID = userID(extra.AppendTo(nil, ctx))
	}
	s.access.Log(&e)
}

// peerAddr is the client's address (the TCP peer).
func peerAddr(ctx *fasthttp.RequestCtx) netip.Addr {
	if c, ok := ctx.Conn().(*countedConn); ok {
		return c.peer
	}
	return peerOf(ctx.RemoteAddr())
}

// peerOf is the IP of a remote address as fasthttp's RemoteIP gives it (0.0.0.0 when the
// address is not TCP), unmapped.
func peerOf(addr net.Addr) netip.Addr {
	ip := net.IPv4zero
	if ta, ok := addr.(*net.TCPAddr); ok {
		ip = ta.IP
	}
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

// userID finds "user_id" in what Go middleware attached to the request (the "context"
// object of the auth middleware, or a top-level key), as a JSON string or number.
func userID(raw []byte) []byte {
	for _, path := range [][]any{{"context", "user_id"}, {"user_id"}} {
		v := jsoniter.ConfigFastest.Get(raw, path...)
		switch v.ValueType() {
		case jsoniter.StringValue:
			b, _ := jsoniter.ConfigFastest.Marshal(v.ToString())
			return b
		case jsoniter.NumberValue:
			return []byte(v.ToString())
		}
	}
	return nil
}

// serveMetrics answers the metrics path; with a token configured, only to a request that
// carries it (compared in constant time: the endpoint reveals traffic and routes).
func (s *Server) serveMetrics(ctx *fasthttp.RequestCtx) {
	if s.metricsToken != nil {
		var auth []byte
		for k, v := range ctx.Request.Header.All() {
			if header.EqualFoldLower(k, "authorization") {
				auth = v
			}
		}
		token, ok := bytes.CutPrefix(auth, bearerPrefix)
		if !ok || subtle.ConstantTimeCompare(token, s.metricsToken) != 1 {
			httperr.Write(ctx, fasthttp.StatusUnauthorized, metricsAuthBody)
			ctx.Response.Header.SetBytesK(hWWWAuthenticate, `Bearer realm="metrics"`)
			return
		}
	}
	ctx.SetContentTypeBytes(metricsContentType)
	s.metrics.WritePrometheus(ctx)
}
