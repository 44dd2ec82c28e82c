// Package observe is the server's observability: Prometheus metrics (package metrics) and
// the access log (package accesslog). Both see every request, routed or not, by wrapping
// the server's front handler; a route's handler tags the request with its route so that
// both label it with the route template.
package observe

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sync/atomic"
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

// Config is what the observer is built from.
type Config struct {
	Routes       []router.Route
	MetricsPath  string // "": no /metrics
	MetricsToken string // "": metrics are public
	HealthPath   string // "": no health endpoint (else counted as a special path)
	// AccessLog turns the access log on (nil: off); it writes to AccessLogOut (nil: stderr).
	AccessLog    *accesslog.Config
	AccessLogOut io.Writer
	// Sources are the gauges the metrics read (AccessLogDrops is filled in here).
	Sources metrics.Sources
	// RequestID and Peer give the access log the request's id and client address; the
	// server knows where it keeps them.
	RequestID func(*fasthttp.RequestCtx) []byte
	Peer      func(*fasthttp.RequestCtx) netip.Addr
}

// Observer holds the metrics and the access log. A nil *Observer (both off) is valid:
// every wrapper then returns its handler unchanged.
type Observer struct {
	metrics      *metrics.Registry // nil: no /metrics
	metricsPath  []byte
	metricsToken []byte            // nil: metrics are public
	access       *accesslog.Logger // nil: no access log
	routes       map[uint16]*route
	requestID    func(*fasthttp.RequestCtx) []byte
	peer         func(*fasthttp.RequestCtx) netip.Addr
}

// routeKey is the ctx user value naming the route that handled a request.
const routeKey = "bolt.route"

// route is what the observer needs to know about a route, built once.
type route struct {
	template string
	metrics  *metrics.Route // nil when metrics are off
}

var (
	metricsContentType = []byte("text/plain; version=0.0.4; charset=utf-8")
	bearerPrefix       = []byte("Bearer ")
	metricsAuthBody    = httperr.Body("Metrics require a bearer token")
	hWWWAuthenticate   = []byte("WWW-Authenticate")
)

// New sets up metrics and the access log from c; it returns nil when both are off.
func New(c *Config) (*Observer, error) {
	if c.MetricsPath == "" && c.AccessLog == nil {
		return nil, nil
	}
	o := &Observer{requestID: c.RequestID, peer: c.Peer}
	if c.AccessLog != nil {
		out := c.AccessLogOut
		if out == nil {
			out = os.Stderr
		}
		var err error
		if o.access, err = accesslog.New(c.AccessLog, out); err != nil {
			return nil, fmt.Errorf("access log settings: %w", err)
		}
	}
	if c.MetricsPath != "" {
		o.metricsPath = []byte(c.MetricsPath)
		if c.MetricsToken != "" {
			o.metricsToken = []byte(c.MetricsToken)
		}
		specs := make([]metrics.RouteSpec, len(c.Routes))
		for i, rt := range c.Routes {
			specs[i] = metrics.RouteSpec{ID: rt.ID, Method: rt.Method, Path: rt.Path}
		}
		var special []string
		if c.HealthPath != "" {
			special = append(special, c.HealthPath)
		}
		special = append(special, c.MetricsPath)
		src := c.Sources
		if o.access != nil {
			src.AccessLogDrops = o.access.Dropped
		}
		o.metrics = metrics.New(specs, special, src)
	}
	o.routes = map[uint16]*route{}
	for _, rt := range c.Routes {
		r := &route{template: rt.Path}
		if o.metrics != nil {
			r.metrics = o.metrics.Route(rt.ID)
		}
		o.routes[rt.ID] = r
	}
	return o, nil
}

// Metrics is the registry (nil when metrics are off).
func (o *Observer) Metrics() *metrics.Registry {
	if o == nil {
		return nil
	}
	return o.metrics
}

// Close flushes and stops the access log; after the last request its line is written,
// not dropped. Closing twice is harmless.
func (o *Observer) Close() {
	if o != nil && o.access != nil {
		o.access.Close()
	}
}

// HandlerTimer returns what records how long a route's Python handler had a request (the
// bridge measures it: bridge.Slot.HandlerTime), or nil with metrics off. Speed: the bridge
// times the request from its batches' clocks; timing the handler here took two clock
// reads per request (~50 ns each on the bench VM, BenchmarkClock).
func (o *Observer) HandlerTimer(rt *router.Compiled) func(time.Duration) {
	if o == nil {
		return nil
	}
	r := o.routes[rt.ID]
	if r == nil || r.metrics == nil {
		return nil
	}
	return r.metrics.ObserveHandler
}

// Tag marks a request as handled by rt, for the labels of metrics and access logs.
func (o *Observer) Tag(rt *router.Compiled, handler fasthttp.RequestHandler) fasthttp.RequestHandler {
	if o == nil {
		return handler
	}
	r := o.routes[rt.ID]
	if r == nil {
		return handler
	}
	return func(ctx *fasthttp.RequestCtx) {
		ctx.SetUserValue(routeKey, r)
		handler(ctx)
	}
}

// Wrap wraps the server's handler with metrics and access logging, when either is on.
func (o *Observer) Wrap(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	if o == nil {
		return next
	}
	return func(ctx *fasthttp.RequestCtx) {
		start := o.Begin()
		next(ctx)
		o.End(ctx, start)
	}
}

// Begin counts a request in and returns its start time for End. Wrap calls both around the
// handler; the loop front end (libbolt/server), whose requests outlive the call that takes
// them, calls Begin when it takes a request and End once its reply is final. Nil-safe.
func (o *Observer) Begin() time.Duration {
	if o == nil {
		return 0
	}
	if o.metrics != nil {
		o.metrics.Begin()
	}
	return monotonic()
}

// End records the request Begin started: its metrics and its access log line.
func (o *Observer) End(ctx *fasthttp.RequestCtx, start time.Duration) {
	if o == nil {
		return
	}
	d := monotonic() - start
	r, _ := ctx.UserValue(routeKey).(*route)
	status := ctx.Response.StatusCode()
	if o.metrics != nil {
		var mr *metrics.Route
		if r != nil {
			mr = r.metrics
		} else {
			mr = o.metrics.Unrouted(ctx.Method(), ctx.Path())
		}
		o.metrics.End(mr, status, d)
	}
	if o.access != nil && o.access.Wants(d) {
		o.logAccess(ctx, r, status, start, d)
	}
}

func (o *Observer) logAccess(ctx *fasthttp.RequestCtx, r *route, status int, start, d time.Duration) {
	e := accesslog.Entry{
		Time: wallTime(start), RequestID: o.requestID(ctx), Method: ctx.Method(), Path: ctx.Path(),
		Status: status, Duration: d, ClientIP: o.peer(ctx),
	}
	// Body() would drain a body stream (a streamed reply, a file) into memory: ask the
	// stream's declared length instead (-1 for chunked: logged as 0).
	if ctx.Response.IsBodyStream() {
		e.Bytes = max(ctx.Response.Header.ContentLength(), 0)
	} else {
		e.Bytes = len(ctx.Response.Body())
	}
	if r != nil {
		e.Route = r.template
	}
	// Only requests that Go middleware annotated (auth) are searched for a user id. Speed:
	// a stack buffer handed to AppendTo escaped (jsoniter keeps it), 512 B allocated per
	// logged request (BenchmarkChain/accesslog).
	if extra.Present(ctx) {
		e.UserID = userID(extra.AppendTo(nil, ctx))
	}
	o.access.Log(&e)
}

// The request clock. Speed: a request reads the monotonic clock only (one vDSO call per
// read, ~50 ns on the bench VM; time.Now is two, the wall clock and the monotonic one, and
// fasthttp's ctx.Time is a time.Now), twice: at its start and end. The access log's wall
// time is derived from the start's offset.
var epoch = time.Now()

// monotonic is the time since epoch.
func monotonic() time.Duration { return time.Since(epoch) }

// clockBase pairs a wall time with its monotonic offset.
type clockBase struct {
	wall time.Time
	mono time.Duration
}

// base is re-read at most once a second, so a step of the wall clock (settimeofday) shows
// in the access log within a second, as with time.Now.
var base atomic.Pointer[clockBase]

// wallTime is the wall time of the monotonic offset mono (a request's start).
func wallTime(mono time.Duration) time.Time {
	b := base.Load()
	if b == nil || mono-b.mono > time.Second { // an earlier start: a negative offset
		now := time.Now()
		b = &clockBase{wall: now, mono: now.Sub(epoch)}
		base.Store(b)
	}
	return b.wall.Add(mono - b.mono)
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

// ServesMetrics reports whether ctx asks for the metrics endpoint.
func (o *Observer) ServesMetrics(ctx *fasthttp.RequestCtx) bool {
	return o != nil && o.metrics != nil && bytes.Equal(ctx.Path(), o.metricsPath) && (ctx.IsGet() || ctx.IsHead())
}

// ServeMetrics answers the metrics path; with a token configured, only to a request that
// carries it (compared in constant time: the endpoint reveals traffic and routes).
func (o *Observer) ServeMetrics(ctx *fasthttp.RequestCtx) {
	if o.metricsToken != nil {
		var auth []byte
		for k, v := range ctx.Request.Header.All() {
			if header.EqualFoldLower(k, "authorization") {
				auth = v
			}
		}
		token, ok := bytes.CutPrefix(auth, bearerPrefix)
		if !ok || subtle.ConstantTimeCompare(token, o.metricsToken) != 1 {
			httperr.Write(ctx, fasthttp.StatusUnauthorized, metricsAuthBody)
			ctx.Response.Header.SetBytesK(hWWWAuthenticate, `Bearer realm="metrics"`)
			return
		}
	}
	ctx.SetContentTypeBytes(metricsContentType)
	o.metrics.WritePrometheus(ctx)
}
