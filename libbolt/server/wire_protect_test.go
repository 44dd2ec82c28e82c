package server

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/django-bolt-go/django-bolt-go/libbolt/auth"
	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/ratelimit"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

const protectSecret = "a-test-secret-that-is-long-enough-for-hs256"

// extraAnswer replies with the extra section Python received (request.context's source).
func extraAnswer(r *bridge.Request) *bridge.Response {
	return &bridge.Response{Status: 200, ContentType: 1, Body: append([]byte(nil), r.Extra...)}
}

func protectedServer(t *testing.T) *testServer {
	t.Helper()
	return startServer(t, Config{
		Routes: routes(
			router.Route{ID: 0, Method: "GET", Path: "/me"},
			router.Route{ID: 1, Method: "GET", Path: "/limited"},
			router.Route{ID: 2, Method: "GET", Path: "/open"},
		),
		AuthBackends: []auth.BackendConfig{{Type: "jwt", Secret: protectSecret}},
		RouteAuth: map[uint16]*auth.RouteConfig{
			0: {Backends: []int{0}, Guards: []auth.GuardConfig{{Type: "is_authenticated"}}},
		},
		RouteRateLimit: map[uint16]*ratelimit.Config{1: {RPS: 1, Burst: 2}},
		ClockUnix:      1_800_000_000,
	}, extraAnswer)
}

func TestProtectRefusesWithoutCallingPython(t *testing.T) {
	t.Parallel()
	ts := protectedServer(t)
	c := ts.dial(t)
	resp := c.do(t, "GET /me HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer "+strings.Repeat("x.", 40_00)+"\r\n\r\n")
	if resp.StatusCode() != 401 || !strings.Contains(string(resp.Header.Peek("WWW-Authenticate")), `error="invalid_token"`) {
		t.Fatalf("got %d %q %s", resp.StatusCode(), resp.Header.Peek("WWW-Authenticate"), resp.Body())
	}
	resp = c.do(t, "GET /me HTTP/1.1\r\nHost: t\r\n\r\n")
	assertJSONError(t, resp, 401, "Authentication credentials were not provided.")
	if string(resp.Header.Peek("WWW-Authenticate")) != `Bearer realm="api"` {
		t.Fatalf("WWW-Authenticate = %q", resp.Header.Peek("WWW-Authenticate"))
	}
	ts.assertPythonIdle(t)
	// The connection keeps serving after refusals.
	if resp := c.do(t, "GET /open HTTP/1.1\r\nHost: t\r\n\r\n"); resp.StatusCode() != 200 || len(resp.Body()) != 0 {
		t.Fatalf("open route: %d %q", resp.StatusCode(), resp.Body())
	}
}

func TestProtectPassesContext(t *testing.T) {
	t.Parallel()
	ts := protectedServer(t)
	tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "7", "exp": time.Unix(1_800_000_000, 0).Add(time.Minute).Unix(),
	}).SignedString([]byte(protectSecret))
	resp := ts.dial(t).do(t, "GET /me HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer "+tok+"\r\n\r\n")
	if resp.StatusCode() != 200 || !strings.HasPrefix(string(resp.Body()), `{"context":{"user_id":"7","auth_backend":"jwt"`) {
		t.Fatalf("got %d %s", resp.StatusCode(), resp.Body())
	}
}

func TestProtectRateLimit(t *testing.T) {
	t.Parallel()
	ts := protectedServer(t)
	c := ts.dial(t)
	for i, want := range []int{200, 200, 429, 429} {
		resp := c.do(t, "GET /limited HTTP/1.1\r\nHost: t\r\n\r\n")
		if resp.StatusCode() != want {
			t.Fatalf("request %d: %d, want %d", i, resp.StatusCode(), want)
		}
		if want == 429 && string(resp.Header.Peek("Retry-After")) != "1" {
			t.Fatalf("Retry-After = %q", resp.Header.Peek("Retry-After"))
		}
	}
}

func TestProtectPipelinedRequestsEachChecked(t *testing.T) {
	t.Parallel()
	ts := protectedServer(t)
	c := ts.dial(t)
	one := "GET /limited HTTP/1.1\r\nHost: t\r\n\r\n"
	c.send(t, one+one+one+"GET /me HTTP/1.1\r\nHost: t\r\n\r\n")
	for i, want := range []int{200, 200, 429, 401} {
		if got := c.read(t).StatusCode(); got != want {
			t.Fatalf("pipelined request %d: %d, want %d", i, got, want)
		}
	}
}
