package server

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

func TestWirePathParams(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{Routes: routes(
		router.Route{ID: 1, Method: "GET", Path: "/items/{id}/{name}"},
		router.Route{ID: 2, Method: "GET", Path: "/files/{rest:path}"},
		router.Route{ID: 3, Method: "GET", Path: "/n/{id:int}"},
		router.Route{ID: 4, Method: "DELETE", Path: "/f/{x:float}"},
	)}, echoAnswer)
	tests := []struct {
		method, target string
		route          uint16
		methodCode     uint8
		params         string
	}{
		{"GET", "/items/42/abc", 1, 1, "42\x00abc"},
		{"GET", "/items/42/a%2Fb%20c", 1, 1, "42\x00a/b c"}, // %2F stays inside the parameter
		{"GET", "/items/caf%C3%A9/%2e%2e", 1, 1, "café\x00.."},
		{"GET", "/items/%25/x", 1, 1, "%\x00x"}, // decoded once, not twice
		{"GET", "/items/%2541/x", 1, 1, "%41\x00x"},
		{"GET", "/items/a+b/x", 1, 1, "a+b\x00x"}, // '+' is only a space in queries
		{"GET", "/files/a/b%2Fc/d.txt", 2, 1, "a/b/c/d.txt"},
		{"GET", "/files/x", 2, 1, "x"},
		{"GET", "/n/007", 3, 1, "007"},
		{"DELETE", "/f/2", 4, 5, "2"},
		{"DELETE", "/f/2.5", 4, 5, "2.5"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			t.Parallel()
			resp := ts.dial(t).do(t, tt.method+" "+tt.target+" HTTP/1.1\r\nHost: test\r\n\r\n")
			e := decodeEcho(t, resp)
			if e.Route != tt.route || e.Method != tt.methodCode || e.Params != tt.params {
				t.Fatalf("route %d method %d params %q; want route %d method %d params %q",
					e.Route, e.Method, e.Params, tt.route, tt.methodCode, tt.params)
			}
			if e.ID == 0 || e.ID>>32 == 0 {
				t.Fatalf("request id %#x has no generation", e.ID)
			}
		})
	}
}

func TestWireQuery(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/q"})}, echoAnswer)
	tests := []struct {
		query string
		want  string
	}{
		{"", ""},
		{"?", ""},
		{"?a=1", "a\x001"},
		{"?a=1&b=x%20y&a=2", "a\x001\x00b\x00x y\x00a\x002"},
		{"?empty=&flag", "empty\x00\x00flag\x00"},
		{"?plus=a+b&enc=%C3%A9&amp=%26", "plus\x00a b\x00enc\x00é\x00amp\x00&"},
		{"?k%3D=v%3D", "k=\x00v="},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			e := decodeEcho(t, ts.get(t, "/q"+tt.query))
			if e.Query != tt.want {
				t.Fatalf("query %q, want %q", e.Query, tt.want)
			}
			if e.Path != "/q" {
				t.Fatalf("path %q, want /q", e.Path)
			}
		})
	}
}

// headerPairs splits the NUL-joined name,value list Python receives.
func headerPairs(t *testing.T, block string) [][2]string {
	t.Helper()
	if block == "" {
		return nil
	}
	parts := strings.Split(block, "\x00")
	if len(parts)%2 != 0 {
		t.Fatalf("header block %q has an odd number of items", block)
	}
	var out [][2]string
	for i := 0; i < len(parts); i += 2 {
		out = append(out, [2]string{parts[i], parts[i+1]})
	}
	return out
}

func TestWireHeaders(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{Routes: routes(
		router.Route{ID: 1, Method: "POST", Path: "/with", Flags: bridge.FlagHeaders},
		router.Route{ID: 2, Method: "POST", Path: "/without"},
	)}, echoAnswer)
	const req = "POST %s?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Custom-Thing: Value One\r\n" +
		"X-Dup: 1\r\nX-Dup: 2\r\nCookie: a=b\r\nContent-Type: text/plain\r\nUser-Agent: ua/1\r\n" +
		"Content-Length: 4\r\n\r\nbody"

	t.Run("route asks for headers", func(t *testing.T) {
		t.Parallel()
		e := decodeEcho(t, ts.dial(t).do(t, strings.Replace(req, "%s", "/with", 1)))
		got := headerPairs(t, e.Headers)
		for _, want := range [][2]string{
			{"host", "example.com"}, {"x-custom-thing", "Value One"}, {"x-dup", "1"}, {"x-dup", "2"},
			{"cookie", "a=b"}, {"content-type", "text/plain"}, {"user-agent", "ua/1"},
		} {
			if !slices.Contains(got, want) {
				t.Errorf("header %q: %q missing from %q", want[0], want[1], got)
			}
		}
		for _, kv := range got {
			if kv[0] != strings.ToLower(kv[0]) {
				t.Errorf("header name %q is not lower-cased", kv[0])
			}
		}
		if e.Flags != bridge.FlagHeaders || string(e.Body) != "body" || e.Query != "x\x001" {
			t.Fatalf("flags %d body %q query %q", e.Flags, e.Body, e.Query)
		}
	})
	t.Run("route does not", func(t *testing.T) {
		t.Parallel()
		e := decodeEcho(t, ts.dial(t).do(t, strings.Replace(req, "%s", "/without", 1)))
		if e.Headers != "" {
			t.Fatalf("headers copied for a route without FlagHeaders: %q", e.Headers)
		}
		if string(e.Body) != "body" || e.Query != "x\x001" {
			t.Fatalf("body %q query %q", e.Body, e.Query)
		}
	})
}

func TestWireBody(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{Routes: routes(
		router.Route{ID: 1, Method: "POST", Path: "/b"},
		router.Route{ID: 2, Method: "PUT", Path: "/b"},
		router.Route{ID: 3, Method: "PATCH", Path: "/b"},
	)}, echoAnswer)
	tests := []struct {
		name, raw, want string
		method          uint8
	}{
		{"content-length", "POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world", "hello world", 2},
		{"binary with NUL", "PUT /b HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\na\x00\xff\x00b", "a\x00\xff\x00b", 3},
		{"chunked", "PATCH /b HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", 4},
		{"empty", "POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := decodeEcho(t, ts.dial(t).do(t, tt.raw))
			if string(e.Body) != tt.want || e.Method != tt.method {
				t.Fatalf("body %q method %d, want %q method %d", e.Body, e.Method, tt.want, tt.method)
			}
		})
	}
}

// A body over bridge.BodyApartMin is left out of the record and read with ReadBody.
func TestWireBigBodyTravelsApart(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{Routes: routes(router.Route{ID: 1, Method: "POST", Path: "/b"})}, echoAnswer)
	big := strings.Repeat("0123456789abcdef", bridge.BodyApartMin/16+1)
	for name, raw := range map[string]string{
		"content-length": fmt.Sprintf("POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s", len(big), big),
		"chunked":        fmt.Sprintf("POST /b HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(big), big),
	} {
		e := decodeEcho(t, ts.dial(t).do(t, raw))
		if r := ts.next(t); r.BodyApart != uint32(len(big)) {
			t.Fatalf("%s: record body apart %d, want %d", name, r.BodyApart, len(big))
		}
		if string(e.Body) != big {
			t.Fatalf("%s: body of %d bytes, want the %d sent", name, len(e.Body), len(big))
		}
	}
}

func TestWireRouterErrors(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{Routes: routes(
		router.Route{ID: 1, Method: "GET", Path: "/items"},
		router.Route{ID: 2, Method: "POST", Path: "/items"},
	)}, echoAnswer)
	tests := []struct {
		raw    string
		status int
		detail string
		allow  string
	}{
		{"GET /nope HTTP/1.1\r\nHost: t\r\n\r\n", 404, "Not Found", ""},
		{"GET /items/1 HTTP/1.1\r\nHost: t\r\n\r\n", 404, "Not Found", ""},
		{"GET /n/abc HTTP/1.1\r\nHost: t\r\n\r\n", 404, "Not Found", ""},
		{"DELETE /items HTTP/1.1\r\nHost: t\r\n\r\n", 405, "Method Not Allowed", "GET, HEAD, OPTIONS, POST"},
		{"PUT /items HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}", 405, "Method Not Allowed", "GET, HEAD, OPTIONS, POST"},
	}
	for _, tt := range tests {
		t.Run(strings.Fields(tt.raw)[0]+" "+strings.Fields(tt.raw)[1], func(t *testing.T) {
			t.Parallel()
			resp := ts.dial(t).do(t, tt.raw)
			assertJSONError(t, resp, tt.status, tt.detail)
			if allow := string(resp.Header.Peek("Allow")); allow != tt.allow {
				t.Fatalf("Allow %q, want %q", allow, tt.allow)
			}
		})
	}
	ts.assertPythonIdle(t)
}

// Inputs that Python could not tell apart from list separators, or could not decode, are
// refused with 400 before a record is queued.
func TestWireRejectsBeforePython(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{Routes: routes(
		router.Route{ID: 1, Method: "GET", Path: "/items/{id}"},
		router.Route{ID: 2, Method: "GET", Path: "/q"},
		router.Route{ID: 3, Method: "GET", Path: "/files/{rest:path}"},
		router.Route{ID: 4, Method: "GET", Path: "/h", Flags: bridge.FlagHeaders},
	)}, echoAnswer)
	tests := []struct {
		name, target, detail string
	}{
		{"NUL in param", "/items/a%00b", "Invalid path parameter 'id'"},
		{"NUL in catch-all", "/files/a/%00", "Invalid path parameter 'rest'"},
		{"bad escape", "/items/%zz", "Invalid path parameter 'id'"},
		{"truncated escape", "/items/ab%4", "Invalid path parameter 'id'"},
		{"lone percent", "/items/ab%", "Invalid path parameter 'id'"},
		{"invalid UTF-8 in param", "/items/%FF", "Invalid path parameter 'id'"},
		{"overlong UTF-8 in param", "/items/%C0%AF", "Invalid path parameter 'id'"},
		{"NUL in query value", "/q?a=%00", "Invalid query string: NUL byte or invalid UTF-8"},
		{"NUL in query key", "/q?a%00b=1", "Invalid query string: NUL byte or invalid UTF-8"},
		{"invalid UTF-8 in query", "/q?a=%FF", "Invalid query string: NUL byte or invalid UTF-8"},
		{"truncated UTF-8 in query", "/q?a=%C3", "Invalid query string: NUL byte or invalid UTF-8"},
		{"invalid UTF-8 in query key", "/q?%FE=1", "Invalid query string: NUL byte or invalid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertJSONError(t, ts.get(t, tt.target), 400, tt.detail)
			ts.assertPythonIdle(t)
		})
	}
	t.Run("NUL in a header value", func(t *testing.T) {
		c := ts.dial(t)
		resp := c.do(t, "GET /h HTTP/1.1\r\nHost: t\r\nX-A: a\x00b\r\n\r\n")
		assertJSONError(t, resp, 400, "Bad Request")
		c.assertClosed(t)
		ts.assertPythonIdle(t)
	})
	// The same server still serves clean requests afterwards.
	if e := decodeEcho(t, ts.get(t, "/items/ok")); e.Params != "ok" {
		t.Fatalf("params %q after the refusals", e.Params)
	}
}

func TestWireHeadOnGetRoute(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/g"})},
		func(*bridge.Request) *bridge.Response {
			return &bridge.Response{Status: 200, ContentType: 2, Body: []byte("twelve bytes")}
		})
	c := ts.dial(t)
	c.send(t, "HEAD /g HTTP/1.1\r\nHost: t\r\n\r\n")
	var resp fasthttp.Response
	resp.SkipBody = true
	if err := resp.Read(c.br); err != nil {
		t.Fatalf("read: %v", err)
	}
	if resp.StatusCode() != 200 || resp.Header.ContentLength() != 12 {
		t.Fatalf("HEAD: status %d, Content-Length %d; want 200, 12", resp.StatusCode(), resp.Header.ContentLength())
	}
	if req := ts.next(t); req.Method != 1 || req.Route != 1 {
		t.Fatalf("Python saw method %d route %d, want the GET route", req.Method, req.Route)
	}
	// No body followed the HEAD reply: the next reply parses cleanly.
	if got := c.do(t, "GET /g HTTP/1.1\r\nHost: t\r\n\r\n"); string(got.Body()) != "twelve bytes" {
		t.Fatalf("GET after HEAD: %q (wire %q)", got.Body(), c.raw.String())
	}
}
