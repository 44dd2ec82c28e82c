package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/django-bolt-go/django-bolt-go/libbolt/auth"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// bodyServer has a JSON body route (1, limit 1000 bytes), a GET-only route (2), a route whose
// handler sees no body (3, limit 0: the body is dropped), a protected body route (4) and a default-limit body
// route (5).
func bodyServer(t *testing.T, budget int) *testServer {
	t.Helper()
	return startServer(t, Config{
		Routes: routes(
			router.Route{ID: 1, Method: "POST", Path: "/up"},
			router.Route{ID: 2, Method: "GET", Path: "/get"},
			router.Route{ID: 3, Method: "POST", Path: "/nobody"},
			router.Route{ID: 4, Method: "POST", Path: "/me"},
			router.Route{ID: 5, Method: "POST", Path: "/big"},
		),
		RouteMaxBody:    map[uint16]int{1: 1000, 3: 0},
		JSONBodyRoutes:  []uint16{1},
		MaxInflightBody: budget,
		AuthBackends:    []auth.BackendConfig{{Type: "jwt", Secret: protectSecret}},
		RouteAuth: map[uint16]*auth.RouteConfig{
			4: {Backends: []int{0}, Guards: []auth.GuardConfig{{Type: "is_authenticated"}}},
		},
	}, echoAnswer)
}

// partial is a request that declares length bytes and sends only sent of them.
func partial(method, path string, length, sent int) string {
	return fmt.Sprintf("%s %s HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s", method, path, length, strings.Repeat("x", sent))
}

// A request that will be refused is answered from its headers while its body is still
// coming: nothing of it is buffered (before, fasthttp read the whole body first, so each
// of these waited for bytes that never came).
func TestWireRefusesBeforeReadingBody(t *testing.T) {
	t.Parallel()
	ts := bodyServer(t, 0)
	tests := []struct {
		name, raw, detail string
		status            int
	}{
		{"unknown path", partial("POST", "/__nope__", 100_000, 1000), "Not Found", 404},
		{"GET-only route", partial("POST", "/get", 100_000, 1000), "Method Not Allowed", 405},
		{"auth refused", partial("POST", "/me", 100_000, 1000), "Authentication credentials were not provided.", 401},
		{"over the route's limit", partial("POST", "/up", 100_000, 1000), "Request body too large", 413},
		{"route that takes no body, over MaxBodySize", partial("POST", "/nobody", 3_000_000, 10), "Request body too large", 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ts.dial(t)
			assertJSONError(t, c.do(t, tt.raw), tt.status, tt.detail)
			c.assertClosed(t)
		})
	}
	ts.assertPythonIdle(t)
	// A route without a body still serves an empty one, and a body within the limit.
	c := ts.dial(t)
	if e := decodeEcho(t, c.do(t, partial("POST", "/nobody", 0, 0))); e.Route != 3 || len(e.Body) != 0 {
		t.Fatalf("empty body: %+v", e)
	}
	// The body of a route that takes none is read and dropped, on the same connection.
	if e := decodeEcho(t, c.do(t, partial("POST", "/nobody", 100_000, 100_000))); e.Route != 3 || len(e.Body) != 0 {
		t.Fatalf("dropped body: %+v", e)
	}
	if e := decodeEcho(t, c.do(t, partial("POST", "/up", 1000, 1000))); len(e.Body) != 1000 {
		t.Fatalf("body of %d bytes", len(e.Body))
	}
	if got := ts.srv.bodies.used.Load(); got != 0 {
		t.Fatalf("budget still holds %d bytes", got)
	}
}

// Bodies in flight share one budget: past it a request is answered 503 + Retry-After,
// and the budget is whole again once the bodies are done.
func TestWireBodyBudget(t *testing.T) {
	t.Parallel()
	ts := bodyServer(t, 256<<10)
	staller := ts.dial(t)
	staller.send(t, partial("POST", "/big", 200_000, 150_000))
	waitFor(t, "the stalled body to be charged", func() bool { return ts.srv.bodies.used.Load() >= 150_000 })

	c := ts.dial(t)
	resp := c.do(t, partial("POST", "/big", 200_000, 100_000))
	assertJSONError(t, resp, 503, "Server is receiving too many request bodies; retry shortly")
	if ra := string(resp.Header.Peek("Retry-After")); ra != "1" {
		t.Fatalf("Retry-After %q", ra)
	}
	c.assertClosed(t)

	staller.send(t, strings.Repeat("x", 50_000))
	if e := decodeEcho(t, staller.read(t)); len(e.Body) != 200_000 {
		t.Fatalf("stalled body arrived with %d bytes", len(e.Body))
	}
	waitFor(t, "the budget to be released", func() bool { return ts.srv.bodies.used.Load() == 0 })
	if e := decodeEcho(t, ts.dial(t).do(t, partial("POST", "/big", 200_000, 200_000))); len(e.Body) != 200_000 {
		t.Fatalf("body of %d bytes after the burst", len(e.Body))
	}
}

// Expect: 100-continue gets 100 only when the body will be read; otherwise the final
// status at once (before, every such request got 100 first).
func TestWireExpectContinue(t *testing.T) {
	t.Parallel()
	ts := bodyServer(t, 0)
	expect := func(method, path string, length int) string {
		return fmt.Sprintf("%s %s HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", method, path, length)
	}
	tests := []struct {
		name, raw, detail string
		status            int
	}{
		{"unknown path", expect("POST", "/__nope__", 10), "Not Found", 404},
		{"GET-only route", expect("POST", "/get", 100_000_000), "Method Not Allowed", 405},
		{"over the route's limit", expect("POST", "/up", 100_000_000), "Request body too large", 413},
		{"route that takes no body", expect("POST", "/nobody", 10), "This route takes no request body", 417},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ts.dial(t)
			assertJSONError(t, c.do(t, tt.raw), tt.status, tt.detail)
			if strings.Contains(c.raw.String(), "100 Continue") {
				t.Fatalf("100 Continue sent for a refused body: %q", c.raw.String())
			}
			c.assertClosed(t)
		})
	}
	ts.assertPythonIdle(t)
	c := ts.dial(t)
	c.send(t, expect("POST", "/up", 5))
	line := make([]byte, len("HTTP/1.1 100 Continue\r\n\r\n"))
	if _, err := c.br.Read(line); err != nil || string(line) != "HTTP/1.1 100 Continue\r\n\r\n" {
		t.Fatalf("want 100 Continue, got %q (%v)", line, err)
	}
	c.send(t, "hello")
	if e := decodeEcho(t, c.read(t)); string(e.Body) != "hello" {
		t.Fatalf("body %q", e.Body)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A JSON-body route refuses bodies of other types (a cross-site form or simple fetch can
// send them without a preflight), and any route refuses compressed request bodies, with
// 415 before reading them (before: 422 from the JSON decoder, or the handler ran).
func TestWireBodyMediaTypes(t *testing.T) {
	t.Parallel()
	ts := bodyServer(t, 0)
	post := func(path, headers string) string {
		return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: t\r\n%sContent-Length: 2\r\n\r\n{}", path, headers)
	}
	notJSON := "Unsupported Media Type: this route takes a JSON body (Content-Type: application/json)"
	for _, tc := range []struct{ name, raw, detail string }{
		{"text/plain", post("/up", "Content-Type: text/plain\r\n"), notJSON},
		{"form", post("/up", "Content-Type: application/x-www-form-urlencoded\r\n"), notJSON},
		{"multipart", post("/up", "Content-Type: multipart/form-data; boundary=x\r\n"), notJSON},
		{"gzip", post("/big", "Content-Encoding: gzip\r\n"), "Compressed request bodies (Content-Encoding) are not supported; send the body uncompressed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assertJSONError(t, ts.dial(t).do(t, tc.raw), 415, tc.detail)
		})
	}
	ts.assertPythonIdle(t)
	c := ts.dial(t)
	for _, h := range []string{"", "Content-Type: application/json; charset=utf-8\r\n", "Content-Type: application/vnd.api+json\r\n", "Content-Encoding: identity\r\n"} {
		if e := decodeEcho(t, c.do(t, post("/up", h))); string(e.Body) != "{}" {
			t.Fatalf("%q: body %q", h, e.Body)
		}
	}
	// Other routes take any type.
	if e := decodeEcho(t, c.do(t, post("/big", "Content-Type: text/plain\r\n"))); string(e.Body) != "{}" {
		t.Fatalf("text body on a non-JSON route: %q", e.Body)
	}
}

// A declared length over every route's limit is refused from the head alone, even when
// the client waits for the answer before sending the body.
func TestWireDeclaredTooLargeAnsweredAtOnce(t *testing.T) {
	t.Parallel()
	ts := bodyServer(t, 0)
	for _, path := range []string{"/big", "/up", "/__nope__"} {
		c := ts.dial(t)
		assertJSONError(t, c.do(t, fmt.Sprintf("POST %s HTTP/1.1\r\nHost: t\r\nContent-Length: 3000000\r\n\r\n", path)), 413, "Request body too large")
		c.assertClosed(t)
	}
	// The marker cannot be sent by a client: a name with spaces is refused first.
	assertJSONError(t, ts.dial(t).do(t, "POST /big HTTP/1.1\r\nHost: t\r\nbolt declared too large: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"), 400, "Bad Request")
	ts.assertPythonIdle(t)
}
