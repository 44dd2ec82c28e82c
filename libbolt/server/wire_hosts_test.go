package server

import (
	"testing"

	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// Trailing-slash redirects name no host (before: http://<Host header>/...), and
// ALLOWED_HOSTS is enforced by Go as Django does.
func TestWireHostsAndRedirects(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{
		Routes: routes(
			router.Route{ID: 1, Method: "GET", Path: "/items"},
			router.Route{ID: 2, Method: "POST", Path: "/items/new/"},
		),
		HostCheck:    true,
		AllowedHosts: []string{"api.example.com", ".example.org"},
	}, echoAnswer)
	c := ts.dial(t)
	resp := c.do(t, "GET /items/?q=1 HTTP/1.1\r\nHost: api.example.com\r\n\r\n")
	if resp.StatusCode() != 301 || string(resp.Header.Peek("Location")) != "/items?q=1" {
		t.Fatalf("GET redirect: %d Location %q", resp.StatusCode(), resp.Header.Peek("Location"))
	}
	resp = c.do(t, "POST /items/new HTTP/1.1\r\nHost: a.b.example.org:8000\r\nContent-Length: 0\r\n\r\n")
	if resp.StatusCode() != 308 || string(resp.Header.Peek("Location")) != "/items/new/" {
		t.Fatalf("POST redirect: %d Location %q", resp.StatusCode(), resp.Header.Peek("Location"))
	}
	for _, tc := range []struct{ name, raw, detail string }{
		{"foreign Host", "GET /items HTTP/1.1\r\nHost: evil.com\r\n\r\n", "Invalid Host header: the host is not in ALLOWED_HOSTS"},
		{"foreign Host on a redirect", "GET /items/ HTTP/1.1\r\nHost: evil.com\r\n\r\n", "Invalid Host header: the host is not in ALLOWED_HOSTS"},
		{"suffix is not a subdomain", "GET /items HTTP/1.1\r\nHost: evilexample.org\r\n\r\n", "Invalid Host header: the host is not in ALLOWED_HOSTS"},
		{"absolute-form target for another host", "GET http://evil.com/items HTTP/1.1\r\nHost: api.example.com\r\n\r\n", "The request target names another host than the Host header"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertJSONError(t, ts.dial(t).do(t, tc.raw), 400, tc.detail)
		})
	}
	ts.assertPythonIdle(t)
	if e := decodeEcho(t, c.do(t, "GET http://API.example.com:80/items HTTP/1.1\r\nHost: api.example.com\r\n\r\n")); e.Route != 1 {
		t.Fatalf("absolute-form for our host reached route %d", e.Route)
	}
	if e := decodeEcho(t, c.do(t, "GET /items HTTP/1.1\r\nHost: example.org.\r\n\r\n")); e.Route != 1 {
		t.Fatalf("allowed host reached route %d", e.Route)
	}
}
