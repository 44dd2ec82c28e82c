package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/testutil"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// ioTimeout bounds every wait in these tests so a bug shows up as a failure, not a hang.
const ioTimeout = 10 * time.Second

// answerFunc plays a Python handler: it returns the reply for a request, or nil to leave
// the request unanswered (the test may answer it later through the bridge).
type answerFunc func(r *bridge.Request) *bridge.Response

// testServer is a Server on an in-memory listener with a fake Python loop attached.
type testServer struct {
	srv *Server
	ln  *fasthttputil.InmemoryListener // nil when the harness serves on loopback TCP
	// connect opens a client connection to the server (the in-memory listener's Dial, or
	// a TCP dial to the loop front end).
	connect func() (net.Conn, error)
	seen    chan bridge.Request // every request record Python received, copied
	cancels chan uint64         // ids of cancel records Python received
}

// startServer builds cfg (zero fields take their defaults) and serves it on an in-memory
// listener.
func startServer(t *testing.T, cfg Config, answer answerFunc) *testServer {
	if testFrontEnd == frontLoop {
		return startLoopServer(t, cfg, answer)
	}
	return startMemServer(t, cfg, answer)
}

// testFrontEnd is the front end startServer serves with: BOLT_TEST_FRONT_END=loop runs the
// whole suite against the loop front end on loopback TCP (make test-loop).
var testFrontEnd = os.Getenv("BOLT_TEST_FRONT_END")

// startMemServer serves cfg with fasthttp on an in-memory listener.
func startMemServer(t *testing.T, cfg Config, answer answerFunc) *testServer {
	ln := fasthttputil.NewInmemoryListener()
	ts := serveOn(t, cfg, answer, ln)
	ts.ln = ln
	ts.connect = ln.Dial
	return ts
}

// startLoopServer serves cfg with the loop front end on a loopback TCP port.
func startLoopServer(t *testing.T, cfg Config, answer answerFunc) *testServer {
	t.Helper()
	cfg.FrontEnd = frontLoop
	ln, err := listen("127.0.0.1", 0, 1024, false)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	ts := serveOn(t, cfg, answer, lingerListener{ln})
	ts.connect = func() (net.Conn, error) { return net.Dial("tcp", addr) }
	return ts
}

// serveOn builds cfg and serves it on ln, with the fake Python answering. Cleanup stops
// the server, then the fake Python, then closes the eventfd, in the order Python does.
func serveOn(t testing.TB, cfg Config, answer answerFunc, ln net.Listener) *testServer {
	t.Helper()
	cfg.applyDefaults()
	if err := cfg.validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	efd, err := bridge.NewEventFD()
	if err != nil {
		t.Fatalf("NewEventFD: %v", err)
	}
	srv, err := newWithWaker(&cfg, efd)
	if err != nil {
		t.Fatalf("newWithWaker: %v", err)
	}
	shortIdleWorkers(srv)
	ts := &testServer{srv: srv, seen: make(chan bridge.Request, 256), cancels: make(chan uint64, 256)}
	srv.StartOn(ln)

	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		ts.runPython(t, answer, stop)
	}()
	t.Cleanup(func() {
		if err := srv.Stop(time.Second); err != nil {
			t.Errorf("Stop: %v", err)
		}
		close(stop)
		<-done
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return ts
}

// shortIdleWorkers makes fasthttp's worker-pool cleaner notice a stop within 50 ms
// instead of the default 10 s, so the leak check in TestMain does not have to wait for it.
func shortIdleWorkers(srv *Server) { srv.http.MaxIdleWorkerDuration = 50 * time.Millisecond }

// runPython is the fake event loop: sleep in select(2) on the eventfd, drain one batch,
// answer what can be answered in one Respond call.
func (ts *testServer) runPython(t testing.TB, answer answerFunc, stop <-chan struct{}) {
	fd := ts.srv.WakeFD()
	buf := make([]byte, 4096)
	var out []byte
	for {
		select {
		case <-stop:
			return
		default:
		}
		if !waitReadable(t, fd, 20*time.Millisecond) {
			continue
		}
		n := ts.srv.Bridge.Poll(buf)
		if n < 0 {
			buf = make([]byte, -n)
			n = ts.srv.Bridge.Poll(buf)
		}
		out = out[:0]
		for batch := buf[:n]; len(batch) > 0; {
			r, m, err := bridge.DecodeRequest(batch)
			if err != nil {
				t.Errorf("fake Python: %v", err)
				return
			}
			batch = batch[m:]
			if r.Kind == bridge.KindCancel {
				ts.cancels <- r.ID
				continue
			}
			r = copyRequest(r) // the poll buffer is reused
			if r.BodyApart > 0 {
				r.Body = make([]byte, r.BodyApart)
				if ts.srv.Bridge.ReadBody(r.ID, r.Body) != len(r.Body) {
					continue // abandoned meanwhile: its cancel record follows
				}
			}
			ts.seen <- r
			if resp := answer(&r); resp != nil {
				resp.ID = r.ID
				if resp.Kind == 0 {
					resp.Kind = bridge.KindResponse
				}
				out = bridge.AppendResponse(out, resp)
			}
		}
		if len(out) > 0 {
			if _, err := ts.srv.Bridge.Respond(out); err != nil {
				t.Errorf("fake Python: Respond: %v", err)
			}
		}
	}
}

func copyRequest(r bridge.Request) bridge.Request {
	for _, b := range []*[]byte{&r.Path, &r.Params, &r.Query, &r.Headers, &r.Body, &r.Extra} {
		*b = bytes.Clone(*b)
	}
	return r
}

func waitReadable(t testing.TB, fd int, wait time.Duration) bool {
	ok, err := testutil.WaitReadable(fd, wait)
	if err != nil {
		t.Errorf("waiting for fd %d: %v", fd, err)
	}
	return ok
}

// next returns the next request Python received.
func (ts *testServer) next(t *testing.T) bridge.Request {
	t.Helper()
	select {
	case r := <-ts.seen:
		return r
	case <-time.After(ioTimeout):
		t.Fatalf("Python never received a request")
		return bridge.Request{}
	}
}

// awaitCancel waits for the cancel record of request id, the next one Python receives.
func (ts *testServer) awaitCancel(t *testing.T, id uint64) {
	t.Helper()
	select {
	case got := <-ts.cancels:
		if got != id {
			t.Fatalf("cancel for %d, want %d", got, id)
		}
	case <-time.After(ioTimeout):
		t.Fatal("Python was not told to cancel")
	}
}

// assertPythonIdle fails if Python received a request it should never have seen.
func (ts *testServer) assertPythonIdle(t *testing.T) {
	t.Helper()
	select {
	case r := <-ts.seen:
		t.Fatalf("Python received a request that should have been refused: %+v", r)
	default:
	}
}

// respond answers a request the way Python's batch call does.
func (ts *testServer) respond(t *testing.T, resp bridge.Response) {
	t.Helper()
	resp.Kind = bridge.KindResponse
	if refused, err := ts.srv.Bridge.Respond(bridge.AppendResponse(nil, &resp)); refused != 0 || err != nil {
		t.Fatalf("Respond = %d refused, %v", refused, err)
	}
}

// client is one connection to the server, reading replies with fasthttp's parser. raw
// keeps every byte the server sent.
type client struct {
	conn net.Conn
	br   *bufio.Reader
	raw  bytes.Buffer
}

func (ts *testServer) dial(t *testing.T) *client {
	t.Helper()
	conn, err := ts.connect()
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(ioTimeout)); err != nil {
		t.Fatalf("SetDeadline: %v", err)
	}
	c := &client{conn: conn}
	c.br = bufio.NewReader(io.TeeReader(conn, &c.raw))
	return c
}

func (c *client) send(t *testing.T, raw string) {
	t.Helper()
	if _, err := io.WriteString(c.conn, raw); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func (c *client) read(t *testing.T) *fasthttp.Response {
	t.Helper()
	resp := &fasthttp.Response{}
	if err := resp.Read(c.br); err != nil {
		t.Fatalf("reading the response: %v (bytes so far %q)", err, c.raw.String())
	}
	return resp
}

// do sends one raw request and reads its reply.
func (c *client) do(t *testing.T, raw string) *fasthttp.Response {
	t.Helper()
	c.send(t, raw)
	return c.read(t)
}

// get sends a minimal GET on a new connection.
func (ts *testServer) get(t *testing.T, target string) *fasthttp.Response {
	t.Helper()
	return ts.dial(t).do(t, "GET "+target+" HTTP/1.1\r\nHost: test\r\n\r\n")
}

// assertClosed checks that the server closed the connection after its reply.
func (c *client) assertClosed(t *testing.T) {
	t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if b, err := c.br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("connection still open after the reply (read %q, %v)", b, err)
	}
}

// assertJSONError checks status, JSON content type and a {"detail": detail} body.
func assertJSONError(t *testing.T, resp *fasthttp.Response, status int, detail string) {
	t.Helper()
	if resp.StatusCode() != status {
		t.Fatalf("status %d, want %d (body %q)", resp.StatusCode(), status, resp.Body())
	}
	if ct := string(resp.Header.ContentType()); ct != "application/json" {
		t.Fatalf("Content-Type %q, want application/json", ct)
	}
	var body map[string]string
	if err := json.Unmarshal(resp.Body(), &body); err != nil || len(body) != 1 || body["detail"] != detail {
		t.Fatalf("body %q, want {\"detail\": %q}", resp.Body(), detail)
	}
}

// echo is what the echo handler sends back: everything Python received.
type echo struct {
	ID      uint64
	Method  uint8
	Route   uint16
	Flags   uint16
	Path    string
	Params  string
	Query   string
	Headers string
	Body    []byte // base64 in JSON: bodies may be binary
}

func echoAnswer(r *bridge.Request) *bridge.Response {
	body, _ := json.Marshal(echo{
		ID: r.ID, Method: r.Method, Route: r.Route, Flags: r.Flags, Path: string(r.Path),
		Params: string(r.Params), Query: string(r.Query), Headers: string(r.Headers), Body: r.Body,
	})
	return &bridge.Response{Status: 200, ContentType: 1, Body: body}
}

func decodeEcho(t *testing.T, resp *fasthttp.Response) echo {
	t.Helper()
	if resp.StatusCode() != 200 {
		t.Fatalf("status %d, want 200 (body %q)", resp.StatusCode(), resp.Body())
	}
	var e echo
	if err := json.Unmarshal(resp.Body(), &e); err != nil {
		t.Fatalf("echo body %q: %v", resp.Body(), err)
	}
	return e
}

func routes(rs ...router.Route) []router.Route { return rs }
