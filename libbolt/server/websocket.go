package server

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/httperr"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/cors"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/protect"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
	"github.com/django-bolt-go/django-bolt-go/libbolt/websocket"
)

// WebSocket routes (bridge.FlagWebSocket): Go checks everything it can before the
// handshake (upgrade headers, the socket cap, rate limit and auth through the route's
// protect step, the Origin), then hands the upgrade request to Python as a
// KindSocketOpen record. Python's accept completes the handshake with the subprotocol it
// chose; any other reply refuses the upgrade with that reply. The open socket is package
// websocket's.

// SocketConfig is the WebSocket part of the configuration (DJANGO_BOLT WS_* settings).
type SocketConfig struct {
	MaxConnections      int `json:"max_connections"`       // open sockets per process, default 10,000 -> 503
	MaxMessageSize      int `json:"max_message_size"`      // default 1 MiB -> close 1009
	HeartbeatIntervalMs int `json:"heartbeat_interval_ms"` // default 20 s; -1: no pings
	ClientTimeoutMs     int `json:"client_timeout_ms"`     // default 60 s; -1: never
	// QueryToken, when set, names a query parameter whose value is taken as
	// "Authorization: Bearer <value>" by a WebSocket upgrade that has no Authorization
	// header (clients that cannot set headers, such as browsers). Off by default: a token
	// in a URL ends up in logs and histories.
	QueryToken string `json:"query_token"`
	// Compression offers permessage-deflate (RFC 7692, no context takeover) to clients
	// that ask for it. Off by default: it costs CPU and a deflate state per message.
	Compression bool `json:"compression"`
}

func (c *SocketConfig) hubConfig(writeTimeout time.Duration) (websocket.Config, error) {
	out := SocketConfig{MaxConnections: 10_000, MaxMessageSize: 1 << 20, HeartbeatIntervalMs: 20_000, ClientTimeoutMs: 60_000}
	if c != nil {
		for _, f := range []struct {
			name   string
			v      int
			dst    *int
			minus1 bool
		}{
			{"max_connections", c.MaxConnections, &out.MaxConnections, false},
			{"max_message_size", c.MaxMessageSize, &out.MaxMessageSize, false},
			{"heartbeat_interval_ms", c.HeartbeatIntervalMs, &out.HeartbeatIntervalMs, true},
			{"client_timeout_ms", c.ClientTimeoutMs, &out.ClientTimeoutMs, true},
		} {
			switch {
			case f.v == -1 && f.minus1:
				*f.dst = 0
			case f.v < 0:
				return websocket.Config{}, fmt.Errorf("websocket %s must be positive, got %d", f.name, f.v)
			case f.v > 0:
				*f.dst = f.v
			}
		}
	}
	return websocket.Config{
		MaxConnections: out.MaxConnections, MaxMessageSize: int64(out.MaxMessageSize),
		HeartbeatInterval: ms(out.HeartbeatIntervalMs), ClientTimeout: ms(out.ClientTimeoutMs),
		WriteTimeout: writeTimeout,
	}, nil
}

var (
	notUpgradeBody   = httperr.Body("Expected WebSocket upgrade request")
	tooManySockets   = httperr.Body("Too many WebSocket connections")
	originRefused    = httperr.Body("Origin not allowed")
	handshakeFailure = "handshake failed"
)

// initSockets builds the hub and the global CORS policy the Origin check uses.
func (s *Server) initSockets() error {
	cfg, err := s.cfg.WebSocket.hubConfig(ms(s.cfg.WriteTimeoutMs))
	if err != nil {
		return err
	}
	s.sockets = websocket.NewHub(cfg)
	s.Bridge.Groups = s.sockets
	// With shared state, groups span every worker and host: broadcasts also travel
	// through Redis pub/sub on the store's client (state.Broker; closed with the store).
	// An API without WebSocket routes does not subscribe.
	if s.state != nil && slices.ContainsFunc(s.cfg.Routes, func(r router.Route) bool { return r.Flags&bridge.FlagWebSocket != 0 }) {
		br, err := s.state.NewBroker()
		if err != nil {
			return err
		}
		if err = s.sockets.SetBroker(br); err != nil {
			return err
		}
	}
	if s.cfg.CORS != nil {
		if s.socketCORS, err = cors.Compile(s.cfg.CORS); err != nil {
			return err
		}
	}
	return nil
}

// Sockets is the server's WebSocket hub.
func (s *Server) Sockets() *websocket.Hub { return s.sockets }

// socketRoute is the handler of a WebSocket route: its metrics label, rate limit and
// auth (no CORS headers and no compression: neither applies to a handshake), then the
// upgrade.
func (s *Server) socketRoute(rt *router.Compiled) fasthttp.RequestHandler {
	serve := protect.Wrap(s.guards[rt.ID], withClientAddr(s.socketHandler(rt)))
	if s.cfg.WebSocket != nil && s.cfg.WebSocket.QueryToken != "" && s.guards[rt.ID] != nil {
		serve = withQueryToken(s.cfg.WebSocket.QueryToken, serve)
	}
	return s.observer.Tag(rt, serve)
}

// withQueryToken turns ?<name>=<token> into an Authorization header for the auth step,
// when the request has none.
func withQueryToken(name string, next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if tok := ctx.QueryArgs().Peek(name); len(tok) > 0 && !hasHeader(ctx, "Authorization") {
			ctx.Request.Header.Set("Authorization", "Bearer "+string(tok))
		}
		next(ctx)
	}
}

func hasHeader(ctx *fasthttp.RequestCtx, name string) bool {
	for k := range ctx.Request.Header.All() {
		if bytes.EqualFold(k, []byte(name)) {
			return true
		}
	}
	return false
}

func (s *Server) socketHandler(rt *router.Compiled) fasthttp.RequestHandler {
	timeout := s.timeout
	if v := s.cfg.RouteTimeoutMs[rt.ID]; v > 0 {
		timeout = ms(v)
	}
	return func(ctx *fasthttp.RequestCtx) {
		canonicalHandshake(ctx)
		if !fws.FastHTTPIsWebSocketUpgrade(ctx) {
			httperr.Write(ctx, fasthttp.StatusBadRequest, notUpgradeBody)
			return
		}
		if s.socketsClosing.Load() || isStopping(ctx) {
			httperr.Write(ctx, fasthttp.StatusServiceUnavailable, stoppingBody)
			return
		}
		if !s.originAllowed(ctx) {
			httperr.Write(ctx, fasthttp.StatusForbidden, originRefused)
			return
		}
		if !s.sockets.Reserve() {
			httperr.Write(ctx, fasthttp.StatusServiceUnavailable, tooManySockets)
			return
		}
		slot, err := s.Bridge.Acquire()
		if err != nil {
			s.sockets.Unreserve()
			body := capacityBody
			if err == bridge.ErrClosed {
				body = stoppingBody
			}
			httperr.Write(ctx, fasthttp.StatusServiceUnavailable, body)
			return
		}
		var bad inputError
		slot.Req, bad = appendRecord(slot.Req[:0], slot.ID(), bridge.MethodGET, rt, ctx, nil, false)
		if bad != "" {
			s.sockets.Unreserve()
			s.Bridge.Release(slot)
			httperr.Write(ctx, fasthttp.StatusBadRequest, httperr.Body(string(bad)))
			return
		}
		bridge.SetRecordKind(slot.Req, bridge.KindSocketOpen)
		slot.Conn = ctx.Conn()
		s.Bridge.Submit(slot)
		if !s.Bridge.Wait(slot, timeout) {
			s.sockets.Unreserve()
			s.Bridge.Release(slot)
			if slot.ClientGone {
				closeSilently(ctx)
			} else if isStopping(ctx) {
				httperr.Write(ctx, fasthttp.StatusServiceUnavailable, stoppingBody)
			} else {
				httperr.Write(ctx, fasthttp.StatusGatewayTimeout, timeoutBody)
			}
			return
		}
		if slot.Reply.Kind != bridge.KindSocketAccept {
			s.sockets.Unreserve()
			writeReply(ctx, &slot.Reply)
			s.Bridge.Release(slot)
			return
		}
		s.upgrade(ctx, slot)
	}
}

// socketWriteBuffers lends write buffers to compressing sockets only while they write a
// message (the others are framed by the hub's writers, libbolt/websocket/writer.go).
var socketWriteBuffers sync.Pool

// upgrade completes the handshake Python accepted, with its subprotocol and headers.
//
// Memory: an idle socket holds a 1 KiB read buffer and no write buffer (the library's
// defaults, 4 KiB each held for the socket's life, measured about 37 KiB per idle socket
// in all; bench/RESULTS.md, issue 17). Reads of bigger messages go straight into the
// message buffer, so the small read buffer costs no copies. On the server's own
// connections (countedConn) the socket is also detached from fasthttp (detachedUpgrade):
// a socket served inside fasthttp's hijack handler keeps the request's context and its
// 16 KiB read buffer (MaxHeaderBytes) for its whole life.
func (s *Server) upgrade(ctx *fasthttp.RequestCtx, slot *bridge.Slot) {
	if cc, ok := ctx.Conn().(*countedConn); ok {
		s.detachedUpgrade(ctx, slot, cc)
		return
	}
	compression := s.cfg.WebSocket != nil && s.cfg.WebSocket.Compression
	up := fws.FastHTTPUpgrader{CheckOrigin: func(*fasthttp.RequestCtx) bool { return true },
		ReadBufferSize: 1024, WriteBufferPool: &socketWriteBuffers, EnableCompression: compression}
	if sub := slot.Reply.Body; len(sub) > 0 {
		up.Subprotocols = []string{string(sub)}
	}
	h := slot.Reply.Headers
	for len(h) > 0 {
		name, rest, _ := bytes.Cut(h, []byte{0})
		value, rest2, _ := bytes.Cut(rest, []byte{0})
		ctx.Response.Header.AddBytesKV(name, value)
		h = rest2
	}
	// tr is complete before the socket runs: fasthttp starts the hijack handler only
	// after this handler has returned.
	var tr websocket.Transport
	err := up.Upgrade(ctx, func(ws *fws.Conn) { s.sockets.Serve(ws, s.Bridge, slot, tr) })
	if err != nil {
		// The library answered the bad handshake; Python hears the socket closed.
		s.sockets.Unreserve()
		s.Bridge.EndSocket(slot, 1006, handshakeFailure)
		return
	}
	tr.Compressed = compression && len(ctx.Response.Header.Peek("Sec-WebSocket-Extensions")) > 0
	tr.Raw = rawSocket(ctx.Conn())
}

// detachedUpgrade writes the 101 itself (fasthttp/websocket's net/http upgrader, on the
// TCP connection under cc), then hands the connection to fasthttp as hijacked with no
// response: fasthttp releases the request's context and read buffer at once (its Close
// of the connection is a no-op while cc is detached), and the socket runs on a goroutine
// of its own, which closes cc when it ends. A client must not send frames before it has
// the 101 (RFC 6455 4.1); bytes it sent early would be lost.
func (s *Server) detachedUpgrade(ctx *fasthttp.RequestCtx, slot *bridge.Slot, cc *countedConn) {
	compression := s.cfg.WebSocket != nil && s.cfg.WebSocket.Compression
	up := fws.Upgrader{CheckOrigin: func(*http.Request) bool { return true },
		ReadBufferSize: 1024, WriteBufferPool: &socketWriteBuffers, EnableCompression: compression,
		Error: func(_ http.ResponseWriter, _ *http.Request, status int, reason error) {
			httperr.Write(ctx, status, httperr.Body(reason.Error()))
		}}
	if sub := slot.Reply.Body; len(sub) > 0 {
		up.Subprotocols = []string{string(sub)}
	}
	// The 101 carries what the route's middleware set (X-Request-Id) and Python's headers,
	// as fasthttp's response would.
	respHeader := http.Header{}
	for k, v := range ctx.Response.Header.All() {
		respHeader.Add(string(k), string(v))
	}
	for h := slot.Reply.Headers; len(h) > 0; {
		name, rest, _ := bytes.Cut(h, []byte{0})
		value, rest2, _ := bytes.Cut(rest, []byte{0})
		respHeader.Add(string(name), string(value))
		h = rest2
	}
	req := &http.Request{Method: http.MethodGet, Host: string(ctx.Host()), Header: http.Header{}}
	for k, v := range ctx.Request.Header.All() {
		for _, name := range handshakeHeaders {
			if len(k) == len(name) && bytes.EqualFold(k, []byte(name)) {
				req.Header.Add(name, string(v))
			}
		}
	}
	w := &handshakeWriter{conn: cc.Conn}
	ws, err := up.Upgrade(w, req, respHeader)
	if err != nil {
		s.sockets.Unreserve()
		s.Bridge.EndSocket(slot, 1006, handshakeFailure)
		if w.hijacked {
			closeSilently(ctx) // the 101 could not be written: the connection is gone
		}
		return
	}
	tr := websocket.Transport{Raw: rawSocket(cc), Compressed: compression && offersDeflate(req.Header)}
	cc.detached.Store(true)
	ctx.SetStatusCode(fasthttp.StatusSwitchingProtocols) // for the access log and metrics
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(net.Conn) {
		go func() {
			s.sockets.Serve(ws, s.Bridge, slot, tr)
			_ = cc.closeDetached()
		}()
	})
}

// offersDeflate: the client offered permessage-deflate (fasthttp/websocket's upgrader
// accepts any offer of it, whatever its parameters).
func offersDeflate(h http.Header) bool {
	for _, v := range h.Values("Sec-Websocket-Extensions") {
		for _, ext := range strings.Split(v, ",") {
			name, _, _ := strings.Cut(ext, ";")
			if strings.TrimSpace(name) == "permessage-deflate" {
				return true
			}
		}
	}
	return false
}

// handshakeWriter is the http.ResponseWriter and Hijacker the net/http upgrader needs:
// its refusals go to the fasthttp response (Upgrader.Error), its hijack returns the
// connection with empty buffers.
type handshakeWriter struct {
	conn     net.Conn
	hdr      http.Header
	hijacked bool
}

func (w *handshakeWriter) Header() http.Header {
	if w.hdr == nil {
		w.hdr = http.Header{}
	}
	return w.hdr
}

func (w *handshakeWriter) Write(b []byte) (int, error) { return len(b), nil }

func (w *handshakeWriter) WriteHeader(int) {}

func (w *handshakeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.hijacked = true
	return w.conn, bufio.NewReadWriter(bufio.NewReaderSize(w.conn, 16), bufio.NewWriterSize(w.conn, 512)), nil
}

// rawSocket is the TCP socket under a server connection, for the WebSocket writers'
// non-blocking writes; nil when there is none (in-memory connections).
func rawSocket(c net.Conn) syscall.RawConn {
	if cc, ok := c.(*countedConn); ok {
		c = cc.Conn
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// originAllowed: no Origin header (not a browser) and same-origin requests are allowed;
// any other origin must be allowed by the global CORS configuration.
func (s *Server) originAllowed(ctx *fasthttp.RequestCtx) bool {
	origin := ctx.Request.Header.Peek("Origin")
	if len(origin) == 0 {
		return true
	}
	if u, err := url.Parse(string(origin)); err == nil && u.Host != "" && bytes.EqualFold([]byte(u.Host), ctx.Host()) {
		return true
	}
	return s.socketCORS != nil && s.socketCORS.Allows(origin)
}

// closeSockets waits until every socket ended or deadline passed, then closes the rest
// with 1012 and gives their peers a second to answer.
func (s *Server) closeSockets(deadline time.Time) {
	for s.sockets.OpenCount() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := s.sockets.CloseAll(1012, time.Second); n > 0 {
		logger.Printf("graceful stop: %d WebSocket connection(s) closed with 1012", n)
	}
	s.sockets.Stop()
}

// handshakeHeaders are the request headers the upgrade reads, as fasthttp/websocket peeks
// them (it spells them two ways).
var handshakeHeaders = []string{"Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Protocol",
	"Sec-WebSocket-Extensions", "Origin", "Upgrade", "Connection"}

// canonicalHandshake: the server keeps header names as the client spelled them
// (DisableHeaderNamesNormalizing, for speed), and Peek is then exact; the upgrade library
// peeks fixed spellings. The handshake headers are re-set under those spellings once per
// upgrade.
func canonicalHandshake(ctx *fasthttp.RequestCtx) {
	var found [7][]byte
	for k, v := range ctx.Request.Header.All() {
		for i, name := range handshakeHeaders {
			if len(k) == len(name) && string(k) != name && bytes.EqualFold(k, []byte(name)) {
				found[i] = append([]byte(nil), v...)
			}
		}
	}
	for i, v := range found {
		if v != nil {
			ctx.Request.Header.SetBytesV(handshakeHeaders[i], v)
		}
	}
}
