//go:build linux

package server

import (
	"strings"
	"testing"
	"time"

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
	for _, v := range []string{"", "fasthttp", "loop"} {
		cfg := Config{FrontEnd: v}
		cfg.applyDefaults()
		if err := cfg.validate(); err != nil {
			t.Errorf("front_end %q: %v", v, err)
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
