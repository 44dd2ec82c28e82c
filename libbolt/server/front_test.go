package server

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/cors"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

func TestWireRequestID(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{Routes: routes(
		router.Route{ID: 1, Method: "GET", Path: "/h", Flags: bridge.FlagHeaders},
		router.Route{ID: 2, Method: "GET", Path: "/plain"},
	)}, echoAnswer)
	get := func(target, extra string) (string, echo) {
		resp := ts.dial(t).do(t, "GET "+target+" HTTP/1.1\r\nHost: t\r\n"+extra+"\r\n")
		id := string(resp.Header.Peek("X-Request-ID"))
		if resp.StatusCode() != 200 {
			return id, echo{}
		}
		return id, decodeEcho(t, resp)
	}
	pythonID := func(e echo) []string {
		var ids []string
		for _, kv := range headerPairs(t, e.Headers) {
			if kv[0] == "x-request-id" {
				ids = append(ids, kv[1])
			}
		}
		return ids
	}

	t.Run("a valid incoming id is honoured and reaches Python", func(t *testing.T) {
		t.Parallel()
		id, e := get("/h", "x-request-id: abc-123_XYZ.9\r\n")
		if id != "abc-123_XYZ.9" || !slices.Equal(pythonID(e), []string{"abc-123_XYZ.9"}) {
			t.Fatalf("echoed %q, Python saw %q", id, pythonID(e))
		}
	})
	for name, bad := range map[string]string{
		"too long":      strings.Repeat("a", 129),
		"inner space":   "a b",
		"non-ASCII":     "caf\xc3\xa9",
		"empty":         "",
		"quote is fine": `"`, // visible ASCII: kept
	} {
		t.Run("incoming id "+name, func(t *testing.T) {
			t.Parallel()
			id, e := get("/h", "X-Request-ID: "+bad+"\r\n")
			want := bad == `"`
			if (id == bad) != want || !slices.Equal(pythonID(e), []string{id}) {
				t.Fatalf("incoming %q: echoed %q, Python saw %q", bad, id, pythonID(e))
			}
		})
	}
	t.Run("generated ids are unique and echoed everywhere", func(t *testing.T) {
		t.Parallel()
		seen := map[string]bool{}
		for _, target := range []string{"/h", "/plain", "/missing", "/health", "/h", "/plain"} {
			id, _ := get(target, "")
			if len(id) < 10 || seen[id] {
				t.Fatalf("%s: id %q (seen %v)", target, id, seen)
			}
			seen[id] = true
		}
	})
	t.Run("routes without headers get none", func(t *testing.T) {
		t.Parallel()
		if _, e := get("/plain", "X-Request-ID: r1\r\n"); e.Headers != "" {
			t.Fatalf("headers copied: %q", e.Headers)
		}
	})
}

func TestWireHealth(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/h"})}, echoAnswer)
	resp := ts.get(t, "/health")
	if resp.StatusCode() != 200 || string(resp.Body()) != `{"status":"ok"}` || string(resp.Header.ContentType()) != "application/json" {
		t.Fatalf("health: %d %q %q", resp.StatusCode(), resp.Header.ContentType(), resp.Body())
	}
	assertJSONError(t, ts.dial(t).do(t, "POST /health HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"), 404, "Not Found")
	ts.assertPythonIdle(t)

	custom, off := "/-/alive", ""
	moved := startServer(t, Config{HealthPath: &custom}, echoAnswer)
	if resp := moved.get(t, "/-/alive"); resp.StatusCode() != 200 {
		t.Fatalf("custom health path: %d", resp.StatusCode())
	}
	assertJSONError(t, moved.get(t, "/health"), 404, "Not Found")
	disabled := startServer(t, Config{HealthPath: &off}, echoAnswer)
	assertJSONError(t, disabled.get(t, "/health"), 404, "Not Found")
}

func TestWireHeaderAndURILimits(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{
		MaxHeaders: 5, MaxURIBytes: 64,
		Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/h"}),
	}, echoAnswer)
	headers := func(n int) string {
		return "GET /h HTTP/1.1\r\nHost: t\r\n" + strings.Repeat("X-A: 1\r\n", n-1) + "\r\n"
	}
	decodeEcho(t, ts.dial(t).do(t, headers(5)))
	ts.next(t)
	c := ts.dial(t)
	assertJSONError(t, c.do(t, headers(6)), 431, "Too many request headers")
	c.assertClosed(t)

	decodeEcho(t, ts.get(t, "/h?q="+strings.Repeat("a", 64-len("/h?q="))))
	ts.next(t)
	c = ts.dial(t)
	assertJSONError(t, c.do(t, "GET /h?q="+strings.Repeat("a", 60)+" HTTP/1.1\r\nHost: t\r\n\r\n"), 414, "Request URI too long")
	c.assertClosed(t)
	ts.assertPythonIdle(t)
}

// Over MaxConnections a new connection gets a JSON 503 and is closed (fasthttp's own
// refusal is plain text); once a connection closes, the next one is served.
func TestWireConnectionCap(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{MaxConnections: 2, Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/h"})}, echoAnswer)
	a, b := ts.dial(t), ts.dial(t)
	decodeEcho(t, a.do(t, "GET /h HTTP/1.1\r\nHost: t\r\n\r\n"))
	decodeEcho(t, b.do(t, "GET /h HTTP/1.1\r\nHost: t\r\n\r\n"))

	over := ts.dial(t) // refused before it sends anything
	resp := over.read(t)
	assertJSONError(t, resp, 503, "Server is at connection capacity")
	if !resp.ConnectionClose() {
		t.Fatalf("503 without Connection: close")
	}
	over.assertClosed(t)

	a.conn.Close()
	deadline := time.Now().Add(ioTimeout)
	// Until the server has seen the close, a new connection may still be refused (and
	// closed before our request is even written): that is a retry, not a failure.
	for {
		c := ts.dial(t)
		var resp fasthttp.Response
		_, err := c.conn.Write([]byte("GET /h HTTP/1.1\r\nHost: t\r\n\r\n"))
		if err == nil {
			err = resp.Read(c.br)
		}
		if err == nil && resp.StatusCode() == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never served again after a connection closed: %d, %v", resp.StatusCode(), err)
		}
		c.conn.Close()
		time.Sleep(10 * time.Millisecond)
	}
}

func corsServer(t *testing.T) *testServer {
	t.Helper()
	zero := 0
	return startServer(t, Config{
		CORS: &cors.Config{
			AllowedOrigins:       []string{"https://app.example"},
			AllowedOriginRegexes: []string{`https://[a-z]+\.tenant\.example`},
			ExposeHeaders:        []string{"X-Total"},
		},
		RouteCORS: map[uint16]*cors.Config{
			2: {AllowAllOrigins: true},
			3: {AllowAllOrigins: true, AllowCredentials: true, AllowMethods: []string{"post"}, MaxAge: &zero},
		},
		Routes: routes(
			router.Route{ID: 1, Method: "GET", Path: "/items/{id}"},
			router.Route{ID: 2, Method: "GET", Path: "/public"},
			router.Route{ID: 3, Method: "POST", Path: "/creds"},
			router.Route{ID: 4, Method: "DELETE", Path: "/items/{id}"},
		),
	}, echoAnswer)
}

func TestWireCORSPreflight(t *testing.T) {
	t.Parallel()
	ts := corsServer(t)
	preflight := func(path, origin, method string) string {
		return fmt.Sprintf("OPTIONS %s HTTP/1.1\r\nHost: t\r\nOrigin: %s\r\nAccess-Control-Request-Method: %s\r\n"+
			"Access-Control-Request-Headers: content-type\r\n\r\n", path, origin, method)
	}
	tests := []struct {
		name, raw                            string
		status                               int
		allowOrigin, credentials, methods    string
		maxAge, allowHeaders, vary, allowHdr string
	}{
		{name: "allowed origin", raw: preflight("/items/7", "https://app.example", "GET"), status: 204,
			allowOrigin: "https://app.example", methods: "DELETE, GET, OPTIONS, PATCH, POST, PUT", maxAge: "86400",
			allowHeaders: "accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with", vary: "Origin"},
		{name: "origin regex", raw: preflight("/items/7", "https://acme.tenant.example", "DELETE"), status: 204,
			allowOrigin: "https://acme.tenant.example", methods: "DELETE, GET, OPTIONS, PATCH, POST, PUT", maxAge: "86400",
			allowHeaders: "accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with", vary: "Origin"},
		{name: "disallowed origin", raw: preflight("/items/7", "https://evil.example", "GET"), status: 204, vary: "Origin"},
		{name: "regex is anchored at the start", raw: preflight("/items/7", "https://evil.example/https://a.tenant.example", "GET"), status: 204, vary: "Origin"},
		{name: "route policy: all origins", raw: preflight("/public", "https://evil.example", "GET"), status: 204,
			allowOrigin: "*", methods: "DELETE, GET, OPTIONS, PATCH, POST, PUT", maxAge: "86400",
			allowHeaders: "accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with", vary: "Origin"},
		{name: "credentials echo the origin", raw: preflight("/creds", "https://evil.example", "POST"), status: 204,
			allowOrigin: "https://evil.example", credentials: "true", methods: "POST",
			allowHeaders: "accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with", vary: "Origin"},
		{name: "no route for the method", raw: preflight("/public", "https://app.example", "PUT"), status: 200, allowHdr: "GET, HEAD, OPTIONS"},
		{name: "no route at all", raw: preflight("/nowhere", "https://app.example", "GET"), status: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := ts.dial(t).do(t, tt.raw)
			got := func(name string) string { return string(resp.Header.Peek(name)) }
			if resp.StatusCode() != tt.status || got("Access-Control-Allow-Origin") != tt.allowOrigin ||
				got("Access-Control-Allow-Credentials") != tt.credentials || got("Access-Control-Allow-Methods") != tt.methods ||
				got("Access-Control-Max-Age") != tt.maxAge || got("Access-Control-Allow-Headers") != tt.allowHeaders ||
				got("Vary") != tt.vary || got("Allow") != tt.allowHdr {
				t.Fatalf("reply:\n%s", resp.Header.String())
			}
		})
	}
	ts.assertPythonIdle(t)
}

func TestWireCORSActualRequests(t *testing.T) {
	t.Parallel()
	ts := corsServer(t)
	tests := []struct {
		name, raw                              string
		allowOrigin, credentials, expose, vary string
	}{
		{"allowed origin", "GET /items/1 HTTP/1.1\r\nHost: t\r\nOrigin: https://app.example\r\n\r\n",
			"https://app.example", "", "X-Total", "Origin"},
		{"origin header name in lower case", "GET /items/1 HTTP/1.1\r\nHost: t\r\norigin: https://app.example\r\n\r\n",
			"https://app.example", "", "X-Total", "Origin"},
		{"disallowed origin", "GET /items/1 HTTP/1.1\r\nHost: t\r\nOrigin: https://evil.example\r\n\r\n", "", "", "", "Origin"},
		{"no origin", "GET /items/1 HTTP/1.1\r\nHost: t\r\n\r\n", "", "", "", ""},
		{"credentials", "POST /creds HTTP/1.1\r\nHost: t\r\nOrigin: https://x.example\r\nContent-Length: 0\r\n\r\n",
			"https://x.example", "true", "", "Origin"},
		{"plain OPTIONS is not a preflight", "OPTIONS /public HTTP/1.1\r\nHost: t\r\nOrigin: https://app.example\r\n\r\n", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp := ts.dial(t).do(t, tt.raw)
			got := func(name string) string { return string(resp.Header.Peek(name)) }
			if resp.StatusCode() != 200 || got("Access-Control-Allow-Origin") != tt.allowOrigin ||
				got("Access-Control-Allow-Credentials") != tt.credentials ||
				got("Access-Control-Expose-Headers") != tt.expose || got("Vary") != tt.vary {
				t.Fatalf("reply:\n%s", resp.Header.String())
			}
		})
	}
}

// A handler's own Vary header is kept and extended, not replaced.
func TestWireCORSKeepsHandlerVary(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{
		CORS:   &cors.Config{AllowAllOrigins: true},
		Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/v"}),
	}, func(*bridge.Request) *bridge.Response {
		return &bridge.Response{Status: 200, ContentType: 1, Headers: []byte("Vary\x00Accept-Encoding"), Body: []byte("{}")}
	})
	resp := ts.dial(t).do(t, "GET /v HTTP/1.1\r\nHost: t\r\nOrigin: https://a.example\r\n\r\n")
	if v := string(resp.Header.Peek("Vary")); v != "Accept-Encoding, Origin" {
		t.Fatalf("Vary %q", v)
	}
}

func TestWireIdleKeepAliveIsClosed(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{IdleTimeoutMs: 100, Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/h"})}, echoAnswer)
	c := ts.dial(t)
	decodeEcho(t, c.do(t, "GET /h HTTP/1.1\r\nHost: t\r\n\r\n"))
	start := time.Now()
	c.assertClosed(t) // nothing sent: closed at the idle timeout, not the read timeout (15 s)
	if waited := time.Since(start); waited > 2*time.Second {
		t.Fatalf("idle connection closed after %s", waited)
	}
}

// The Origin front hands to the route lives on the connection: a later request on the same
// connection without one gets no CORS headers.
func TestWireCORSOriginPerRequest(t *testing.T) {
	t.Parallel()
	ts := corsServer(t)
	c := ts.dial(t)
	resp := c.do(t, "GET /items/1 HTTP/1.1\r\nHost: t\r\nOrigin: https://app.example\r\n\r\n")
	if got := string(resp.Header.Peek("Access-Control-Allow-Origin")); got != "https://app.example" {
		t.Fatalf("with Origin: Access-Control-Allow-Origin %q", got)
	}
	resp = c.do(t, "GET /items/2 HTTP/1.1\r\nHost: t\r\n\r\n")
	if got := resp.Header.Peek("Access-Control-Allow-Origin"); got != nil {
		t.Fatalf("without Origin: Access-Control-Allow-Origin %q", got)
	}
	if got := resp.Header.Peek("Vary"); got != nil {
		t.Fatalf("without Origin: Vary %q", got)
	}
}
