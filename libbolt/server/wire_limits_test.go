package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

func TestWireSizeLimits(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{
		MaxBodySize:    64,
		MaxHeaderBytes: 1024,
		Routes:         routes(router.Route{ID: 1, Method: "POST", Path: "/b"}),
	}, echoAnswer)
	post := func(body string, extra string) string {
		return fmt.Sprintf("POST /b HTTP/1.1\r\nHost: t\r\n%sContent-Length: %d\r\n\r\n%s", extra, len(body), body)
	}
	chunked := func(body string) string {
		return fmt.Sprintf("POST /b HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(body), body)
	}
	tests := []struct {
		name   string
		raw    string
		status int
		detail string
	}{
		{"body at the limit", post(strings.Repeat("a", 64), ""), 200, ""},
		{"body over the limit", post(strings.Repeat("a", 65), ""), 413, "Request body too large"},
		{"chunked body over the limit", chunked(strings.Repeat("a", 65)), 413, "Request body too large"},
		{"declared length over the limit", "POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\na", 413, "Request body too large"},
		{"headers under the limit", post("x", "X-Big: "+strings.Repeat("h", 700)+"\r\n"), 200, ""},
		{"headers over the limit", post("x", "X-Big: "+strings.Repeat("h", 2000)+"\r\n"), 431, "Request header fields too large"},
		{"many headers over the limit", post("x", strings.Repeat("X-H: 0123456789\r\n", 100)), 431, "Request header fields too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ts.dial(t)
			resp := c.do(t, tt.raw)
			if tt.status == 200 {
				decodeEcho(t, resp)
				return
			}
			assertJSONError(t, resp, tt.status, tt.detail)
			c.assertClosed(t)
		})
	}
}

func TestWireMalformedRequests(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/"}, router.Route{ID: 2, Method: "POST", Path: "/p"})}, echoAnswer)
	tests := []struct{ name, raw string }{
		{"bad protocol", "GET / HTTP1.1\r\n\r\n"},
		{"binary garbage", "\x00\x01\x02\xff\xfe\r\n\r\n"},
		{"no target", "GET\r\n\r\n"},
		{"header without colon", "GET / HTTP/1.1\r\nHost: t\r\nBad Header Line\r\n\r\n"},
		{"negative content-length", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n"},
		{"non-numeric content-length", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n"},
		{"bad chunk size", "POST /p HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ts.dial(t)
			detail := "Bad Request"
			if strings.HasPrefix(tt.raw, "POST /p") { // a route's body, read by its handler
				detail = "Malformed or truncated request body"
			}
			assertJSONError(t, c.do(t, tt.raw), 400, detail)
			c.assertClosed(t)
		})
	}
	ts.assertPythonIdle(t)
}

func TestWireHandlerTimeout(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{
		HandlerTimeoutMs: 50,
		Routes:           routes(router.Route{ID: 1, Method: "GET", Path: "/slow"}, router.Route{ID: 2, Method: "GET", Path: "/fast"}),
	}, func(r *bridge.Request) *bridge.Response {
		if r.Route == 1 {
			return nil // never answers
		}
		return echoAnswer(r)
	})
	c := ts.dial(t)
	resp := c.do(t, "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
	assertJSONError(t, resp, 504, "Handler timed out")
	req := ts.next(t)
	ts.awaitCancel(t, req.ID)
	// The late answer is refused and the connection carries on with the next request.
	if refused, _ := ts.srv.Bridge.Respond(bridge.AppendResponse(nil, &bridge.Response{ID: req.ID, Kind: bridge.KindResponse, Status: 200})); refused != 1 {
		t.Fatalf("late answer accepted")
	}
	if e := decodeEcho(t, c.do(t, "GET /fast HTTP/1.1\r\nHost: t\r\n\r\n")); e.Route != 2 {
		t.Fatalf("next request reached route %d", e.Route)
	}
}

func TestWireReadTimeout(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{
		ReadTimeoutMs: 100,
		Routes:        routes(router.Route{ID: 1, Method: "GET", Path: "/"}),
	}, echoAnswer)
	c := ts.dial(t)
	c.send(t, "GET / HTTP/1.1\r\nHost: t\r\n") // the blank line never comes
	assertJSONError(t, c.read(t), 408, "Request timeout")
	c.assertClosed(t)
	ts.assertPythonIdle(t)
}

func TestWireAtCapacity(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{
		MaxConnections: 2,
		Routes:         routes(router.Route{ID: 1, Method: "GET", Path: "/"}),
	}, echoAnswer)
	// Hold both request slots, as two requests waiting on Python would.
	var held []*bridge.Slot
	for range 2 {
		s, err := ts.srv.Bridge.Acquire()
		if err != nil {
			t.Fatalf("Acquire: %v", err)
		}
		held = append(held, s)
	}
	c := ts.dial(t)
	assertJSONError(t, c.do(t, "GET / HTTP/1.1\r\nHost: t\r\n\r\n"), 503, "Server is at capacity")
	ts.assertPythonIdle(t)
	for _, s := range held {
		ts.srv.Bridge.Release(s)
	}
	decodeEcho(t, c.do(t, "GET / HTTP/1.1\r\nHost: t\r\n\r\n"))
}

func TestWireRouteTimeoutOverride(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{
		HandlerTimeoutMs: 10_000,
		RouteTimeoutMs:   map[uint16]int{1: 50},
		Routes:           routes(router.Route{ID: 1, Method: "GET", Path: "/quick-timeout"}),
	}, func(*bridge.Request) *bridge.Response { return nil })
	start := time.Now()
	assertJSONError(t, ts.get(t, "/quick-timeout"), 504, "Handler timed out")
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("route timeout ignored: waited %s", waited)
	}
	ts.next(t)
}
