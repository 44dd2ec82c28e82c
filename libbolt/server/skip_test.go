package server

import (
	"testing"

	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/cors"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// @skip_middleware("cors") (Config.RouteSkip) takes the CORS step out of that route's
// chain: no CORS headers there, the global policy everywhere else.
func TestRouteSkipDropsCORS(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{
		CORS:      &cors.Config{AllowedOrigins: []string{"https://app.example"}},
		RouteSkip: map[uint16][]string{2: {"cors"}, 3: {"*"}},
		Routes: routes(
			router.Route{ID: 1, Method: "GET", Path: "/a"},
			router.Route{ID: 2, Method: "GET", Path: "/b"},
			router.Route{ID: 3, Method: "GET", Path: "/c"},
		),
	}, echoAnswer)
	allowOrigin := func(path string) string {
		resp := ts.dial(t).do(t, "GET "+path+" HTTP/1.1\r\nHost: t\r\nOrigin: https://app.example\r\n\r\n")
		if resp.StatusCode() != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode())
		}
		return string(resp.Header.Peek("Access-Control-Allow-Origin"))
	}
	if got := allowOrigin("/a"); got != "https://app.example" {
		t.Fatalf("/a: Access-Control-Allow-Origin %q, want the global policy's", got)
	}
	for _, path := range []string{"/b", "/c"} {
		if got := allowOrigin(path); got != "" {
			t.Fatalf("%s skips cors but answered Access-Control-Allow-Origin %q", path, got)
		}
	}
}
