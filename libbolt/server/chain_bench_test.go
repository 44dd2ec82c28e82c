package server

import (
	"bufio"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/accesslog"
	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/cors"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/observe"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

var helloReply = bridge.Reply{Kind: bridge.KindResponse, Status: 200, ContentType: 1, Body: []byte(`{"message":"Hello, World!"}`)}

// benchChain serves raw through the server's whole Go handler (observe, front, routing,
// route middleware) with a Go handler in Python's place that writes /hello's reply.
func benchChain(b *testing.B, cfg Config, raw string) {
	cfg.Routes = []router.Route{{ID: 0, Method: "GET", Path: "/hello"}}
	cfg.applyDefaults()
	if err := cfg.validate(); err != nil {
		b.Fatal(err)
	}
	efd, err := bridge.NewEventFD()
	if err != nil {
		b.Fatal(err)
	}
	s, err := newWithWaker(&cfg, efd)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	if cfg.AccessLog != nil { // the same observer, logging nowhere instead of stderr
		s.observer.Close()
		oc := s.observeConfig()
		oc.AccessLogOut = io.Discard
		if s.observer, err = observe.New(oc); err != nil {
			b.Fatal(err)
		}
		s.http.Handler = s.observer.Wrap(s.front)
	}
	hello := func(ctx *fasthttp.RequestCtx) { writeReply(ctx, &helloReply) }
	if s.table, _, err = router.BuildTable(cfg.Routes, router.Handlers{
		Route:    func(rt *router.Compiled) fasthttp.RequestHandler { return s.routeMiddleware(rt, hello) },
		NotFound: notFound,
	}); err != nil {
		b.Fatal(err)
	}
	handler := s.http.Handler
	// A connection as the server's listener hands them out (countedConn), never used for I/O.
	peerSide, serverSide := net.Pipe()
	defer func() { _ = peerSide.Close(); _ = serverSide.Close() }()
	var ctx fasthttp.RequestCtx
	ctx.Init2(&countedConn{Conn: serverSide, l: s.capped, peer: netip.MustParseAddr("127.0.0.1")}, nil, false)
	ctx.Request.Header.DisableNormalizing()
	if err := ctx.Request.Read(bufio.NewReader(strings.NewReader(raw))); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		ctx.Response.Reset()
		ctx.Response.Header.DisableNormalizing() // as the server does (DisableHeaderNamesNormalizing)
		ctx.ResetUserValues()
		handler(&ctx)
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("status %d", ctx.Response.StatusCode())
		}
	}
}

const benchHello = "GET /hello HTTP/1.1\r\nHost: localhost\r\nUser-Agent: wrk\r\n\r\n"

// BenchmarkChain is the Go cost of one /hello request without Python: "bare" has request
// ids only, "all" the defaults (metrics, access log) plus CORS with an Origin sent, as the
// middleware variants of bench/run.py.
func BenchmarkChain(b *testing.B) {
	off := ""
	noMetrics := func(c *Config) { c.MetricsPath = &off }
	cors := func(c *Config) {
		c.CORS = &cors.Config{AllowedOrigins: []string{"https://bench.example.com"}}
	}
	withOrigin := strings.Replace(benchHello, "\r\n\r\n", "\r\nOrigin: https://bench.example.com\r\n\r\n", 1)
	for _, v := range []struct {
		name string
		set  func(*Config)
		raw  string
	}{
		{"bare", noMetrics, benchHello},
		{"metrics", func(*Config) {}, benchHello},
		{"accesslog", func(c *Config) { noMetrics(c); c.AccessLog = &accesslog.Config{} }, benchHello},
		{"cors", func(c *Config) { noMetrics(c); cors(c) }, withOrigin},
		{"all", func(c *Config) { c.AccessLog = &accesslog.Config{}; cors(c) }, withOrigin},
		{"hosts", func(c *Config) {
			noMetrics(c)
			c.HostCheck, c.AllowedHosts = true, []string{"127.0.0.1", "localhost", ".example.com"}
		}, benchHello},
	} {
		b.Run(v.name, func(b *testing.B) {
			var cfg Config
			v.set(&cfg)
			benchChain(b, cfg, v.raw)
		})
	}
}
