//go:build linux

package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/django-bolt-go/django-bolt-go/libbolt/auth"
	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/cors"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/ratelimit"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// The loop front end's own tests; the rest of the suite runs against it with
// BOLT_TEST_FRONT_END=loop (make test-loop).

func loopEchoServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	cfg.Routes = routes(router.Route{ID: 1, Method: "GET", Path: "/k/{v}"}, router.Route{ID: 2, Method: "POST", Path: "/p"})
	ts := startLoopServer(t, cfg, echoAnswer)
	if _, ok := ts.srv.capped.Listener.(*handoffListener); !ok {
		t.Fatalf("fasthttp serves %T, not the loops' hand-off listener", ts.srv.capped.Listener)
	}
	return ts
}

// A request cut inside its head: the loop read the first part and handed it on; fasthttp
// reads it back first, then the rest from the socket.
func TestLoopHandoffReplaysBytesRead(t *testing.T) {
	t.Parallel()
	ts := loopEchoServer(t, Config{})
	c := ts.dial(t)
	c.send(t, "GET /k/fir")
	time.Sleep(20 * time.Millisecond) // lets the loop read the first part on its own
	c.send(t, "st?q=1 HTTP/1.1\r\nHost: t\r\n\r\n")
	if e := decodeEcho(t, c.read(t)); e.Params != "first" || e.Query != "q\x001" {
		t.Fatalf("echo = %+v", e)
	}
	// A body cut in two across the hand-off, on the same connection (keep-alive).
	c.send(t, "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhello")
	time.Sleep(20 * time.Millisecond)
	c.send(t, "world")
	if e := decodeEcho(t, c.read(t)); string(e.Body) != "helloworld" {
		t.Fatalf("body = %q", e.Body)
	}
}

// Requests pipelined in the first bytes the loop read are all answered, in order.
func TestLoopPipeliningAcrossHandoff(t *testing.T) {
	t.Parallel()
	ts := loopEchoServer(t, Config{})
	c := ts.dial(t)
	var raw strings.Builder
	names := []string{"a", "b", "c", "d", "e", "f"}
	for _, n := range names {
		raw.WriteString("GET /k/" + n + " HTTP/1.1\r\nHost: t\r\n\r\n")
	}
	raw.WriteString("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nok")
	raw.WriteString("GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n")
	c.send(t, raw.String())
	for _, n := range names {
		if e := decodeEcho(t, c.read(t)); e.Params != n {
			t.Fatalf("got the reply for %q, want %q", e.Params, n)
		}
	}
	if e := decodeEcho(t, c.read(t)); string(e.Body) != "ok" {
		t.Fatalf("POST body %q", e.Body)
	}
	assertJSONError(t, c.read(t), 404, "Not Found")
	// The loop served the seven requests to routes; the 404 went to fasthttp with the
	// connection.
	assertLoopCounts(t, ts, 7, 1)
}

// assertLoopCounts checks how many requests the loops served and connections they handed on.
func assertLoopCounts(t *testing.T, ts *testServer, served, handedOn uint64) {
	t.Helper()
	if s, h := ts.srv.loopCounts(); s != served || h != handedOn {
		t.Fatalf("the loops served %d and handed on %d; want %d and %d", s, h, served, handedOn)
	}
}

// Every connection the loops accepted gives its place under MAX_CONNECTIONS back: ones
// handed on (closed by fasthttp) and ones that closed before sending anything (closed by
// the loop).
func TestLoopConnectionsGiveTheirPlaceBack(t *testing.T) {
	t.Parallel()
	ts := loopEchoServer(t, Config{MaxConnections: 4})
	for range 10 {
		c := ts.dial(t)
		decodeEcho(t, c.do(t, "GET /k/x HTTP/1.1\r\nHost: t\r\n\r\n"))
		c.conn.Close()
		silent := ts.dial(t)
		silent.conn.Close()
	}
	deadline := time.Now().Add(ioTimeout)
	for ts.srv.capped.open.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connection(s) still counted open", ts.srv.capped.open.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	c := ts.dial(t)
	decodeEcho(t, c.do(t, "GET /k/y HTTP/1.1\r\nHost: t\r\n\r\n"))
}

func TestLoopFrontEndSetting(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]string{"": "loop", "auto": "loop", "fasthttp": "fasthttp", "loop": "loop"} {
		cfg := Config{FrontEnd: v}
		cfg.applyDefaults()
		if err := cfg.validate(); err != nil || cfg.FrontEnd != want {
			t.Errorf("front_end %q: %q, %v; want %q", v, cfg.FrontEnd, err, want)
		}
	}
	cfg := Config{FrontEnd: "epoll"}
	cfg.applyDefaults()
	if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), `front_end "epoll"`) {
		t.Fatalf("front_end \"epoll\": %v", err)
	}
	if _, err := ParseConfig([]byte(`{"front_end":"loop"}`)); err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
}

// A connection that sends nothing is closed after READ_TIMEOUT, as fasthttp closes it, and
// gives its place back.
func TestLoopReadTimeoutBeforeTheFirstByte(t *testing.T) {
	t.Parallel()
	ts := loopEchoServer(t, Config{ReadTimeoutMs: 100})
	c := ts.dial(t)
	c.assertClosed(t)
	deadline := time.Now().Add(ioTimeout)
	for ts.srv.capped.open.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connection(s) still counted open", ts.srv.capped.open.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The loops serve plain requests to Python routes themselves: keep-alive, pipelined, with
// bodies, and fasthttp never sees the connection.
func TestLoopServesPlainRequests(t *testing.T) {
	t.Parallel()
	ts := loopEchoServer(t, Config{})
	c := ts.dial(t)
	for _, v := range []string{"a", "b%20c"} {
		if e := decodeEcho(t, c.do(t, "GET /k/"+v+"?q=1 HTTP/1.1\r\nHost: t\r\n\r\n")); e.Query != "q\x001" {
			t.Fatalf("echo = %+v", e)
		}
	}
	c.send(t, "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhelloGET /k/z HTTP/1.1\r\nHost: t\r\n\r\n")
	if e := decodeEcho(t, c.read(t)); string(e.Body) != "hello" {
		t.Fatalf("body = %q", e.Body)
	}
	if e := decodeEcho(t, c.read(t)); e.Params != "z" {
		t.Fatalf("params = %q", e.Params)
	}
	served, handed := ts.srv.loopCounts()
	if served != 4 || handed != 0 {
		t.Fatalf("served %d, handed on %d; want 4 and 0", served, handed)
	}
}

// The steps after the handler run on the loop once Python answered, as the chain runs them:
// the route's CORS headers, compression, and the request id (the client's, echoed).
func TestLoopRunsTheAfterSteps(t *testing.T) {
	t.Parallel()
	body := bytes.Repeat([]byte(`{"n":12345},`), 400)
	ts := startLoopServer(t, Config{
		Routes:    routes(router.Route{ID: 1, Method: "GET", Path: "/big"}),
		RouteCORS: map[uint16]*cors.Config{1: {AllowAllOrigins: true}},
	}, func(*bridge.Request) *bridge.Response {
		return &bridge.Response{Status: 200, ContentType: 1, Body: body}
	})
	c := ts.dial(t)
	for range 2 { // keep-alive: the ctx is reused
		resp := c.do(t, "GET /big HTTP/1.1\r\nHost: t\r\nOrigin: https://a.test\r\nAccept-Encoding: gzip\r\nX-Request-ID: req-1\r\n\r\n")
		if got := string(resp.Header.Peek("Access-Control-Allow-Origin")); got != "*" {
			t.Fatalf("Access-Control-Allow-Origin %q", got)
		}
		if got := string(resp.Header.Peek("X-Request-ID")); got != "req-1" {
			t.Fatalf("X-Request-ID %q", got)
		}
		if got := string(resp.Header.ContentEncoding()); got != "gzip" {
			t.Fatalf("Content-Encoding %q", got)
		}
		zr, err := gzip.NewReader(bytes.NewReader(resp.Body()))
		if err != nil {
			t.Fatal(err)
		}
		if plain, err := io.ReadAll(zr); err != nil || !bytes.Equal(plain, body) {
			t.Fatalf("gunzipped body differs (%d bytes, %v)", len(plain), err)
		}
	}
	assertLoopCounts(t, ts, 2, 0)
}

// Python does not answer in time: the loop answers 504 and Python is told to cancel; the
// connection serves its next request.
func TestLoopHandlerTimeout(t *testing.T) {
	t.Parallel()
	ts := startLoopServer(t, Config{
		Routes:         routes(router.Route{ID: 1, Method: "GET", Path: "/slow"}, router.Route{ID: 2, Method: "GET", Path: "/k/{v}"}),
		RouteTimeoutMs: map[uint16]int{1: 50},
	}, func(r *bridge.Request) *bridge.Response {
		if r.Route == 1 {
			return nil
		}
		return echoAnswer(r)
	})
	c := ts.dial(t)
	assertJSONError(t, c.do(t, "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"), 504, "Handler timed out")
	id := ts.next(t).ID
	ts.awaitCancel(t, id)
	decodeEcho(t, c.do(t, "GET /k/after HTTP/1.1\r\nHost: t\r\n\r\n"))
	assertLoopCounts(t, ts, 2, 0)
}

// A client that leaves while Python has its request: the disconnect probe sees what the
// loop read (the end of the stream), Python is told to cancel, and the place is given back.
func TestLoopClientGoneCancels(t *testing.T) {
	t.Parallel()
	ts := startLoopServer(t, Config{Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/slow"})},
		func(*bridge.Request) *bridge.Response { return nil })
	c := ts.dial(t)
	c.send(t, "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
	id := ts.next(t).ID
	_ = c.conn.Close()
	ts.awaitCancel(t, id)
	waitFor(t, "the connection's place back", func() bool { return ts.srv.capped.open.Load() == 0 })
}

// A reply the socket does not take at once waits for EPOLLOUT: a client that reads late
// gets every byte in order, then the connection serves its next request.
func TestLoopBigReplyToALateReader(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<18) // 4 MiB
	ts := startLoopServer(t, Config{Routes: routes(
		router.Route{ID: 1, Method: "GET", Path: "/big"}, router.Route{ID: 2, Method: "GET", Path: "/k/{v}"})},
		func(r *bridge.Request) *bridge.Response {
			if r.Route == 1 {
				return &bridge.Response{Status: 200, ContentType: 2, Body: big}
			}
			return echoAnswer(r)
		})
	c := ts.dial(t)
	c.send(t, "GET /big HTTP/1.1\r\nHost: t\r\nAccept-Encoding: identity\r\n\r\n")
	ts.next(t)
	time.Sleep(100 * time.Millisecond) // the socket's buffers fill; the loop waits
	if resp := c.read(t); !bytes.Equal(resp.Body(), big) {
		t.Fatalf("body of %d bytes differs from the %d sent", len(resp.Body()), len(big))
	}
	decodeEcho(t, c.do(t, "GET /k/next HTTP/1.1\r\nHost: t\r\n\r\n"))
	assertLoopCounts(t, ts, 2, 0)
}

// A request cut inside its head and never finished is answered 408 after READ_TIMEOUT,
// as fasthttp answers it, and the connection is closed.
func TestLoopPartialRequestTimesOut(t *testing.T) {
	t.Parallel()
	ts := loopEchoServer(t, Config{ReadTimeoutMs: 100})
	c := ts.dial(t)
	decodeEcho(t, c.do(t, "GET /k/a HTTP/1.1\r\nHost: t\r\n\r\n"))
	c.send(t, "GET /k/b HTTP/1.1\r\nHo")
	assertJSONError(t, c.read(t), 408, "Request timeout")
	c.assertClosed(t)
}

// A file reply leaves the loop: a goroutine writes it, and fasthttp serves the
// connection's next request.
func TestLoopFileReplyThenKeepAlive(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "r.txt")
	if err := os.WriteFile(file, []byte("file body"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startLoopServer(t, Config{Routes: routes(
		router.Route{ID: 1, Method: "GET", Path: "/f"}, router.Route{ID: 2, Method: "GET", Path: "/k/{v}"})},
		func(r *bridge.Request) *bridge.Response {
			if r.Route == 1 {
				return fileAnswer(r)
			}
			return echoAnswer(r)
		})
	c := ts.dial(t)
	resp := c.do(t, "GET /f?path="+url.QueryEscape(file)+" HTTP/1.1\r\nHost: t\r\n\r\n")
	if resp.StatusCode() != 200 || string(resp.Body()) != "file body" {
		t.Fatalf("file reply %d %q", resp.StatusCode(), resp.Body())
	}
	if e := decodeEcho(t, c.do(t, "GET /k/next HTTP/1.1\r\nHost: t\r\n\r\n")); e.Params != "next" {
		t.Fatalf("echo = %+v", e)
	}
	assertLoopCounts(t, ts, 1, 1)
}

// A guarded route whose checks never wait on the network (a JWT with its key given, an
// in-memory rate limit) is served by the loop, which checks the guard before it queues the
// request: the identity reaches Python, refusals are answered from the loop with the
// route's CORS headers, and nothing refused reaches Python.
func TestLoopChecksGuards(t *testing.T) {
	t.Parallel()
	ts := startLoopServer(t, Config{
		Routes: routes(
			router.Route{ID: 0, Method: "GET", Path: "/me"},
			router.Route{ID: 1, Method: "GET", Path: "/limited"},
		),
		AuthBackends: []auth.BackendConfig{{Type: "jwt", Secret: protectSecret}},
		RouteAuth: map[uint16]*auth.RouteConfig{
			0: {Backends: []int{0}, Guards: []auth.GuardConfig{{Type: "is_authenticated"}}},
		},
		RouteRateLimit: map[uint16]*ratelimit.Config{1: {RPS: 1, Burst: 2}},
		RouteCORS:      map[uint16]*cors.Config{0: {AllowAllOrigins: true}},
		ClockUnix:      1_800_000_000,
	}, extraAnswer)
	c := ts.dial(t)
	resp := c.do(t, "GET /me HTTP/1.1\r\nHost: t\r\nOrigin: https://a.test\r\n\r\n")
	assertJSONError(t, resp, 401, "Authentication credentials were not provided.")
	if got := string(resp.Header.Peek("Access-Control-Allow-Origin")); got != "*" {
		t.Fatalf("the 401 lacks the route's CORS headers (%q)", got)
	}
	ts.assertPythonIdle(t)
	token, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "42", "exp": 1_800_000_600}).
		SignedString([]byte(protectSecret))
	resp = c.do(t, "GET /me HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer "+token+"\r\n\r\n")
	if resp.StatusCode() != 200 || !strings.HasPrefix(string(resp.Body()), `{"context":{"user_id":"42","auth_backend":"jwt"`) {
		t.Fatalf("with a token: %d %s", resp.StatusCode(), resp.Body())
	}
	ts.next(t)
	for i, want := range []int{200, 200, 429} {
		if got := c.do(t, "GET /limited HTTP/1.1\r\nHost: t\r\n\r\n").StatusCode(); got != want {
			t.Fatalf("request %d to the limited route: %d, want %d", i, got, want)
		}
	}
	assertLoopCounts(t, ts, 5, 0)
}

// A streamed reply with no body (204) ends at once: its stream releases the slot, once,
// and the connection serves its next request.
func TestLoopBodilessStreamReleasesItsSlotOnce(t *testing.T) {
	t.Parallel()
	ts := startLoopServer(t, Config{Routes: routes(
		router.Route{ID: 1, Method: "GET", Path: "/s"}, router.Route{ID: 2, Method: "GET", Path: "/k/{v}"})},
		func(r *bridge.Request) *bridge.Response {
			if r.Route == 1 {
				return &bridge.Response{Kind: bridge.KindStreamStart, Status: 204, ContentType: 2}
			}
			return echoAnswer(r)
		})
	c := ts.dial(t)
	if resp := c.do(t, "GET /s HTTP/1.1\r\nHost: t\r\n\r\n"); resp.StatusCode() != 204 {
		t.Fatalf("status %d, want 204", resp.StatusCode())
	}
	decodeEcho(t, c.do(t, "GET /k/next HTTP/1.1\r\nHost: t\r\n\r\n"))
	waitFor(t, "every slot free", func() bool { return ts.srv.Bridge.InFlight() <= 0 })
	if n := ts.srv.Bridge.InFlight(); n != 0 {
		t.Fatalf("%d slots in flight: a slot was released twice", n)
	}
}
