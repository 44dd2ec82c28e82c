// Package server runs fasthttp, routes requests and hands route requests to the bridge.
package server

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/django-bolt-go/django-bolt-go/libbolt/auth"
	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/logline"
	"github.com/django-bolt-go/django-bolt-go/libbolt/metrics"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/compress"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/cors"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/observe"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/protect"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/ratelimit"
	"github.com/django-bolt-go/django-bolt-go/libbolt/multipart"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
	"github.com/django-bolt-go/django-bolt-go/libbolt/state"
	"github.com/django-bolt-go/django-bolt-go/libbolt/static"
	"github.com/django-bolt-go/django-bolt-go/libbolt/websocket"
)

// Server is one HTTP server feeding one Python event loop.
type Server struct {
	cfg     *Config
	Bridge  *bridge.Bridge
	waker   *bridge.EventFD
	http    *fasthttp.Server
	ln      net.Listener
	timeout time.Duration
	serveWG sync.WaitGroup

	table    *router.Table
	ids      *requestIDs
	health   []byte                  // nil: no health endpoint
	cors     map[uint16]*cors.Policy // per route id; a route without an entry has none
	corsOn   bool
	guards   map[uint16]*protect.Route      // per route id: auth and rate limit; none: neither
	backends auth.Backends                  // every auth backend, released by Close
	replies  *staticTable                   // nil: no static responses (docs, OpenAPI)
	static   *static.Handler                // nil: STATIC_URL not served by Go
	media    *static.Handler                // nil: MEDIA_URL not served by Go
	mem      *fasthttputil.InmemoryListener // set by StartInMemory (test client)
	capped   *capListener                   // wraps the listener given to StartOn
	upload   multipart.Limits               // for bridge.FlagMultipart routes
	bodies   bodyBudget                     // request body bytes in memory (body.go)
	hosts    *hostMatcher                   // ALLOWED_HOSTS; nil: any host (hosts.go)
	// bodyLimitMax is the largest body any route takes (MaxBodySize or a RouteMaxBody).
	bodyLimitMax int

	compress map[uint16]*compress.Compressor // per route id; none: not compressed
	observer *observe.Observer               // nil: no metrics and no access log
	state    *state.Store                    // nil: no shared state (DJANGO_BOLT["STATE"])

	sockets        *websocket.Hub // WebSocket routes' connections and groups (websocket.go)
	socketCORS     *cors.Policy   // the global CORS policy, for the upgrade's Origin check
	socketsClosing atomic.Bool    // Stop began: upgrades are refused 503

	connErrors *logline.ConnErrors // fasthttp's Logger: no request bytes in log lines

	detached atomic.Int64 // streamed replies written from their own goroutine (stream.go)

	loopRoutes []*loopRoute // FRONT_END = "loop": the routes its loops serve, by id
	// loopStats reads the loops' counters (nil: no loops run); for the metrics.
	loopStats atomic.Pointer[func() (served, handedOn uint64)]
}

// New builds the route table and the fasthttp server; nothing is bound yet.
func New(cfg *Config) (*Server, error) {
	efd, err := bridge.NewEventFD()
	if err != nil {
		return nil, err
	}
	return newWithWaker(cfg, efd)
}

// newWithWaker builds the server around efd. On error everything acquired so far (efd,
// the auth backends' revocation stores, the access log) is released by the one deferred
// s.release, so a failed start leaves nothing registered or open.
func newWithWaker(cfg *Config, efd *bridge.EventFD) (_ *Server, err error) {
	logline.Configure(cfg.logFormat())
	s := &Server{cfg: cfg, waker: efd, timeout: ms(cfg.HandlerTimeoutMs), ids: newRequestIDs(),
		capped: &capListener{max: int64(cfg.MaxConnections)}, bodies: bodyBudget{max: int64(cfg.MaxInflightBody)},
		connErrors: logline.NewConnErrors(),
		upload: multipart.Limits{MaxFiles: cfg.MultipartMaxFiles, MaxFields: cfg.MultipartMaxFields,
			MaxHeaderBytes: cfg.MaxHeaderBytes, MemoryMax: cfg.UploadMemoryMax, TempDir: cfg.UploadTempDir}}
	defer func() {
		if err != nil {
			s.release()
		}
	}()
	if p := *cfg.HealthPath; p != "" {
		s.health = []byte(p)
	}
	if cfg.HostCheck {
		s.hosts = newHostMatcher(cfg.AllowedHosts)
	}
	// The connections stamp the three timeouts themselves (deadlines.go); fasthttp's are 0.
	s.capped.sweeper.setTimeouts(ms(cfg.ReadTimeoutMs), ms(cfg.WriteTimeoutMs), ms(cfg.IdleTimeoutMs))
	s.bodyLimitMax = cfg.MaxBodySize
	for _, v := range cfg.RouteMaxBody {
		s.bodyLimitMax = max(s.bodyLimitMax, v)
	}
	if s.cors, err = cors.CompileRoutes(cfg.CORS, cfg.RouteCORS, cfg.Routes); err != nil {
		return nil, err
	}
	for id, names := range cfg.RouteSkip {
		if slices.Contains(names, "cors") || slices.Contains(names, "*") {
			delete(s.cors, id) // the route's chain then has no CORS step at all
		}
	}
	s.corsOn = len(s.cors) > 0
	if cfg.State != nil {
		if s.state, err = state.Open(cfg.State); err != nil {
			return nil, err
		}
	}
	s.guards, s.backends, err = protect.Compile(&protect.Config{
		Backends: cfg.AuthBackends, RouteAuth: cfg.RouteAuth, RouteRateLimit: cfg.RouteRateLimit,
		TrustedProxies: cfg.TrustedProxies, MaxKeys: cfg.RateLimitMaxKeys, ClockUnix: cfg.ClockUnix,
		Routes: cfg.Routes, State: s.state,
	})
	if err != nil {
		return nil, err
	}
	if s.replies, err = compileStatic(cfg.StaticResponses); err != nil {
		return nil, err
	}
	if cfg.Static != nil {
		if s.static, err = static.New(cfg.Static); err != nil {
			return nil, err
		}
	}
	if cfg.Media != nil {
		cfg.Media.Media = true
		if s.media, err = static.New(cfg.Media); err != nil {
			return nil, fmt.Errorf("media: %w", err)
		}
	}
	// Every connection holds at most one request at a time, so the connection cap bounds
	// the slots too.
	s.Bridge = bridge.New(efd, cfg.MaxConnections)
	s.Bridge.ConnGone = connGone
	if err = s.initSockets(); err != nil {
		return nil, err
	}
	if s.compress, err = compress.CompileRoutes(cfg.Compression, cfg.RouteCompression, cfg.Routes); err != nil {
		return nil, err
	}
	if s.observer, err = observe.New(s.observeConfig()); err != nil {
		return nil, err
	}
	if m := s.observer.Metrics(); m != nil {
		s.capped.writeErrors = &m.WriteErrors
	}
	table, compiled, err := router.BuildTable(cfg.Routes, router.Handlers{
		Route:            s.routeHandler,
		NotFound:         s.unmatched(),
		MethodNotAllowed: methodNotAllowed,
		Panic:            recoverPanic,
	})
	if err != nil {
		return nil, err
	}
	s.table = table
	if cfg.FrontEnd == frontLoop && loopSupported {
		s.loopRoutes = s.buildLoopRoutes(compiled)
	}
	s.http = &fasthttp.Server{
		Handler:      s.observer.Wrap(s.front),
		ErrorHandler: s.parseError,
		// capListener enforces MaxConnections with a JSON 503; the slack only keeps
		// fasthttp's own plain-text refusal from firing while a closed connection's
		// worker is still on its way back to the pool.
		Concurrency:     2 * cfg.MaxConnections,
		ReadBufferSize:  cfg.MaxHeaderBytes,
		WriteBufferSize: writeBufferSize,
		// Bodies are read by the route's handler after routing, the method check and the
		// route's auth, within its limit and the in-flight budget (body.go). With
		// streaming, fasthttp's limit only sizes what it reads before calling the handler
		// (min(limit, length, 8 KiB)): 1 byte, so a refusal does not wait for more.
		StreamRequestBody:  true,
		MaxRequestBodySize: 1,
		HeaderReceived:     s.headerReceived,
		ExpectHandler:      s.expectContinue,
		// READ_TIMEOUT, WRITE_TIMEOUT and IDLE_TIMEOUT are kept by countedConn from the
		// sweeper's coarse clock (deadlines.go): fasthttp's own would read the clock three
		// times per request.
		ReadTimeout:  0,
		WriteTimeout: 0,
		IdleTimeout:  0,
		// The clock is read only when something asks for the request's time (observe):
		// without metrics and access logs a request reads no clock.
		LazyRequestTime:               true,
		NoDefaultServerHeader:         true,
		NoDefaultContentType:          true,
		DisableHeaderNamesNormalizing: true,
		DisablePreParseMultipartForm:  true,
		CloseOnShutdown:               true,
		Logger:                        s.connErrors,
	}
	return s, nil
}

// writeBufferSize is the per-connection response write buffer. Speed: fasthttp's 4 KiB
// default splits a reply larger than that into two write(2) calls, and the writev that
// fasthttp uses instead on a bare *net.TCPConn is not available through countedConn. At
// 16 KiB a 10 KB JSON reply leaves in one write. With writeReply's SwapBody, /bench/big
// on the Go-only bridge target went from 38.9 to 32.7 us of server CPU per request
// (median of 6 interleaved rounds; bench/RESULTS.md, issue 3). The cost: up to 12 KiB
// more per keep-alive connection that has been answered.
const writeBufferSize = 16 << 10

// WakeFD is the descriptor Python watches; readable means "call Poll".
func (s *Server) WakeFD() int { return s.waker.FD() }

// Start binds the listener and serves in the background.
func (s *Server) Start() error {
	ln, err := listen(s.cfg.Host, s.cfg.Port, s.cfg.Backlog, s.cfg.ReusePort)
	if err != nil {
		return err
	}
	s.StartOn(lingerListener{ln})
	return nil
}

// StartOn serves on an existing listener (tests use an in-memory one).
func (s *Server) StartOn(ln net.Listener) {
	s.ln = ln
	s.sockets.Run()
	s.serveWG.Add(1)
	s.capped.Listener = s.frontListener(ln)
	go func() {
		defer s.serveWG.Done()
		if err := s.http.Serve(s.capped); err != nil {
			logger.Printf("serve: %v", err)
		}
	}()
}

// frontListener is the listener fasthttp serves: ln itself, or with FRONT_END = "loop" on
// a TCP listener, the loops' hand-off listener (handoff.go, loop_linux.go). The in-memory
// listener of the test client has no socket for a loop: fasthttp serves it.
func (s *Server) frontListener(ln net.Listener) net.Listener {
	if s.cfg.FrontEnd != frontLoop {
		return ln
	}
	inner := ln
	if l, ok := ln.(lingerListener); ok {
		inner = l.Listener
	}
	tl, ok := inner.(*net.TCPListener)
	if !ok {
		return ln
	}
	hand, err := s.startLoops(tl)
	if err != nil {
		logger.Printf("%v; fasthttp serves the socket", err)
		return ln
	}
	return hand
}

// State is the shared state store (DJANGO_BOLT["STATE"]), nil without one: other features
// (WebSocket group fan-out) use its client and Publish/Subscribe. Closed by Close.
func (s *Server) State() *state.Store { return s.state }

// Port is the bound TCP port (useful when the config asked for port 0).
func (s *Server) Port() int {
	if a, ok := s.ln.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

// Stop stops accepting, lets in-flight requests finish for up to grace, then fails the
// ones still waiting on Python with 503 and waits up to a second more for those replies to
// go out. It blocks: never call it from the loop thread.
func (s *Server) Stop(grace time.Duration) error {
	// One shutdown call spans the whole stop. A second ShutdownWithContext after the first
	// timed out returns at once (fasthttp forgets the listeners), so Stop returned before
	// the 503s were written, and the stopping flag was cleared, so those connections were
	// kept alive instead of closed.
	s.socketsClosing.Store(true)
	stopDeadline := time.Now().Add(grace + time.Second)
	socketsDeadline := time.Now().Add(grace - min(grace/4, time.Second))
	abandon := time.AfterFunc(grace, func() {
		n := s.Bridge.AbandonAll()
		logger.Printf("graceful stop timed out after %s; %d request(s) answered 503", grace, n)
	})
	defer abandon.Stop()
	quiesce(s.ln)
	ctx, cancel := context.WithTimeout(context.Background(), grace+time.Second)
	defer cancel()
	err := s.http.ShutdownWithContext(ctx)
	// fasthttp only closes the listeners Serve has registered; a Stop right after Start can
	// run before the serving goroutine did, and Serve would then accept forever. Closing it
	// here makes that Serve return at once (a second Close is a harmless error).
	_ = s.ln.Close()
	if s.capped.Listener != s.ln {
		_ = s.capped.Listener.Close() // the loops' hand-off listener (a Close stops the loops)
	}
	s.serveWG.Wait()
	// Open WebSockets may end on their own until the deadline; the rest are closed 1012
	// (Service Restart) early enough for Python to hear it before requests are abandoned.
	s.closeSockets(socketsDeadline)
	// Streamed replies that left fasthttp (detachStream) get the grace period fasthttp's
	// Shutdown gave them when it served them: they end on their own or are aborted by the
	// abandon timer.
	for s.detached.Load() > 0 && time.Now().Before(stopDeadline) {
		time.Sleep(10 * time.Millisecond)
	}
	// Shutdown does not wait for hijacked connections (HTTP/1.0 streamed replies, see
	// stream.go): end their streams now rather than leave them waiting for Python.
	s.Bridge.AbandonAll()
	s.observer.Close() // after the last request: its line is written, not dropped
	return err
}

// Close releases what the server holds (see release). Call after Stop, once Python stopped
// watching the wake-up descriptor.
func (s *Server) Close() error {
	return s.release()
}

// observeConfig is the observer's part of the config.
func (s *Server) observeConfig() *observe.Config {
	c := &observe.Config{
		Routes: s.cfg.Routes, MetricsPath: *s.cfg.MetricsPath, MetricsToken: s.cfg.MetricsToken,
		HealthPath: string(s.health), AccessLog: s.cfg.AccessLog,
		Sources: metrics.Sources{Bridge: s.Bridge, OpenConnections: s.capped.open.Load,
			WebSockets: s.sockets.WritePrometheus},
		RequestID: requestID, Peer: peerAddr,
	}
	if s.cfg.FrontEnd == frontLoop {
		c.Sources.LoopRequests = s.loopCounts
	}
	// Behind a trusted proxy (nginx, a load balancer) the access log names the client the
	// proxy forwarded for, as rate limiting does, not the proxy. Parsed by protect already.
	if len(s.cfg.TrustedProxies) > 0 {
		if proxies, err := ratelimit.ParseTrustedProxies(s.cfg.TrustedProxies); err == nil {
			c.Peer = proxies.ClientIP
		}
	}
	if s.state != nil {
		c.Sources.StateMetrics = s.state.WriteMetrics
	}
	return c
}

// loopCounts is what the loop front end's loops served and handed on (0, 0 without them).
func (s *Server) loopCounts() (served, handedOn uint64) {
	if f := s.loopStats.Load(); f != nil {
		return (*f)()
	}
	return 0, 0
}

// release frees what the server holds outside the Go heap: the auth backends' revocation
// stores, the access log and the wake descriptor.
func (s *Server) release() error {
	s.backends.Release()
	_ = s.state.Close()
	s.observer.Close()
	return s.waker.Close()
}
