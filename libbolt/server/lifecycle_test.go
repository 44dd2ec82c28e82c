package server

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

func TestWireKeepAlive(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/k/{n}"})}, echoAnswer)

	t.Run("sequential", func(t *testing.T) {
		t.Parallel()
		c := ts.dial(t)
		for i := range 3 {
			e := decodeEcho(t, c.do(t, fmt.Sprintf("GET /k/%d HTTP/1.1\r\nHost: t\r\n\r\n", i)))
			if e.Params != fmt.Sprint(i) {
				t.Fatalf("request %d answered with %q", i, e.Params)
			}
		}
	})
	t.Run("pipelined", func(t *testing.T) {
		t.Parallel()
		c := ts.dial(t)
		c.send(t, "GET /k/first HTTP/1.1\r\nHost: t\r\n\r\nGET /k/second HTTP/1.1\r\nHost: t\r\n\r\n")
		for _, want := range []string{"first", "second"} {
			if e := decodeEcho(t, c.read(t)); e.Params != want {
				t.Fatalf("got the reply for %q, want %q", e.Params, want)
			}
		}
	})
	t.Run("connection close", func(t *testing.T) {
		t.Parallel()
		c := ts.dial(t)
		resp := c.do(t, "GET /k/x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
		decodeEcho(t, resp)
		c.assertClosed(t)
	})
}

// waitListenerClosed waits until Stop has closed the listener, i.e. shutdown has begun.
func waitListenerClosed(t *testing.T, ts *testServer) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for {
		conn, err := ts.connect()
		if err != nil {
			return
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatalf("the listener is still open")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStopLetsInFlightRequestFinish(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/held"})},
		func(*bridge.Request) *bridge.Response { return nil })
	c := ts.dial(t)
	c.send(t, "GET /held HTTP/1.1\r\nHost: t\r\n\r\n")
	req := ts.next(t)

	stopped := make(chan error, 1)
	go func() { stopped <- ts.srv.Stop(ioTimeout) }()
	waitListenerClosed(t, ts)
	ts.respond(t, bridge.Response{ID: req.ID, Status: 200, ContentType: 2, Body: []byte("finished")})

	resp := c.read(t)
	if resp.StatusCode() != 200 || string(resp.Body()) != "finished" {
		t.Fatalf("in-flight request got %d %q", resp.StatusCode(), resp.Body())
	}
	if !resp.ConnectionClose() {
		t.Fatalf("reply during shutdown lacks Connection: close")
	}
	c.assertClosed(t)
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("Stop: %v", err)
		}
	case <-time.After(ioTimeout):
		t.Fatalf("Stop did not return after the last request finished")
	}
}

func TestStopAbandonsRequestsAfterGrace(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{
		HandlerTimeoutMs: 60_000,
		Routes:           routes(router.Route{ID: 1, Method: "GET", Path: "/never"}),
	}, func(*bridge.Request) *bridge.Response { return nil })
	c := ts.dial(t)
	c.send(t, "GET /never HTTP/1.1\r\nHost: t\r\n\r\n")
	ts.next(t)

	const grace = 200 * time.Millisecond
	start := time.Now()
	if err := ts.srv.Stop(grace); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if took := time.Since(start); took < grace {
		t.Fatalf("Stop returned after %s, before the %s grace", took, grace)
	}
	// Stop returns once the abandoned request was answered and its connection closed.
	resp := c.read(t)
	assertJSONError(t, resp, 503, "Server is shutting down")
	if !resp.ConnectionClose() {
		t.Fatalf("503 during shutdown lacks Connection: close")
	}
	c.assertClosed(t)
	if n := ts.srv.Bridge.InFlight(); n != 0 {
		t.Fatalf("%d request(s) still in flight after Stop", n)
	}
}

func TestStopIdleServer(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/"})}, echoAnswer)
	c := ts.dial(t)
	decodeEcho(t, c.do(t, "GET / HTTP/1.1\r\nHost: t\r\n\r\n")) // leaves an idle keep-alive connection
	start := time.Now()
	if err := ts.srv.Stop(5 * time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("Stop waited %s for an idle connection", took)
	}
	c.assertClosed(t)
}

// TestStartOnLoopback covers Start's own listen(2) path with a real socket.
func TestStartOnLoopback(t *testing.T) {
	t.Parallel()
	srv, err := startLoopback(t, 0, false)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer srv.Stop(time.Second)
	if srv.Port() <= 0 {
		t.Fatalf("Port = %d", srv.Port())
	}

	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", srv.Port()), ioTimeout)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(ioTimeout))
	fmt.Fprint(conn, "GET /missing HTTP/1.1\r\nHost: t\r\n\r\n")
	var resp fasthttp.Response
	if err := resp.Read(bufio.NewReader(conn)); err != nil {
		t.Fatalf("read: %v", err)
	}
	assertJSONError(t, &resp, 404, "Not Found")

	// A second server on the same port fails at start-up with a readable error.
	srv2, err := startLoopback(t, srv.Port(), false)
	if err == nil || !strings.Contains(err.Error(), "cannot listen") {
		srv2.Stop(time.Second)
		t.Fatalf("Start on a busy port = %v, want a listen error", err)
	}
}

func TestWireIdleTimeout(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{
		IdleTimeoutMs: 100,
		Routes:        routes(router.Route{ID: 1, Method: "GET", Path: "/"}),
	}, echoAnswer)
	c := ts.dial(t)
	decodeEcho(t, c.do(t, "GET / HTTP/1.1\r\nHost: t\r\n\r\n"))
	c.assertClosed(t) // within assertClosed's 2 s, long before the 10 s test deadline
}

// A request read after a stop gave up on Python is refused at once, never queued.
func TestWireAfterAbandonAll(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/"})}, echoAnswer)
	ts.srv.Bridge.AbandonAll()
	assertJSONError(t, ts.get(t, "/"), 503, "Server is shutting down")
	ts.assertPythonIdle(t)
}

// Over real TCP, an early 413 (sent before the body was read) reaches the client while it
// is still sending. This runs the lingering close; loopback rarely loses a reply to an RST,
// so the test does not prove the linger is needed, only that the path works.
func TestEarlyErrorReachesTCPClient(t *testing.T) {
	t.Parallel()
	srv, err := startConfigured(t, `{"port": 0, "max_body_size": 1024, "routes": [{"id": 1, "method": "POST", "path": "/"}]}`)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer srv.Stop(time.Second)

	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", srv.Port()), ioTimeout)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(ioTimeout))
	const size = 1 << 20
	written := make(chan struct{})
	go func() {
		defer close(written)
		fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n", size)
		chunk := make([]byte, 64<<10)
		for sent := 0; sent < size; sent += len(chunk) {
			if _, err := conn.Write(chunk); err != nil {
				return // the server stopped reading, as it may
			}
		}
	}()
	var resp fasthttp.Response
	if err := resp.Read(bufio.NewReader(conn)); err != nil {
		t.Fatalf("reading the 413: %v", err)
	}
	assertJSONError(t, &resp, 413, "Request body too large")
	conn.Close()
	<-written
}
