package server

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
	"github.com/django-bolt-go/django-bolt-go/libbolt/static"
)

func fallbackConfig() Config {
	return Config{
		Routes:   routes(router.Route{ID: 0, Method: "GET", Path: "/api/items"}),
		Fallback: &FallbackConfig{Route: 1, Exclude: []string{"/admin/"}},
	}
}

func TestFallbackGetsUnmatchedRequestsWithRawQueryHeadersAndClient(t *testing.T) {
	t.Parallel()
	ts := startServer(t, fallbackConfig(), echoAnswer)
	e := decodeEcho(t, ts.dial(t).do(t, "POST /accounts/login/?next=%2Fx&a=1 HTTP/1.1\r\nHost: test\r\nX-Csrftoken: t\r\nContent-Length: 3\r\n\r\nabc"))
	if e.Route != 1 || e.Method != bridge.MethodCodes["POST"] || e.Path != "/accounts/login/" {
		t.Fatalf("fallback record: route %d method %d path %q", e.Route, e.Method, e.Path)
	}
	if e.Query != "next=%2Fx&a=1" {
		t.Fatalf("query %q, want the raw query string", e.Query)
	}
	if e.Flags&bridge.FlagASGI == 0 || !strings.Contains(e.Headers, "x-csrftoken\x00t\x00") || string(e.Body) != "abc" {
		t.Fatalf("flags %d headers %q body %q", e.Flags, e.Headers, e.Body)
	}
	r := ts.next(t)
	var x struct{ Client []any }
	if err := json.Unmarshal(r.Extra, &x); err != nil || len(x.Client) != 2 {
		t.Fatalf("extra %q: want a client address (%v)", r.Extra, err)
	}
}

func TestFallbackLeavesAPIPathsAndExclusionsToGo(t *testing.T) {
	t.Parallel()
	ts := startServer(t, fallbackConfig(), echoAnswer)
	// The API owns /api/items: a wrong method is Go's 405, not Django's.
	resp := ts.dial(t).do(t, "DELETE /api/items HTTP/1.1\r\nHost: test\r\n\r\n")
	assertJSONError(t, resp, 405, "Method Not Allowed")
	assertJSONError(t, ts.get(t, "/admin/login/"), 404, "Not Found")
	if e := decodeEcho(t, ts.get(t, "/api/items")); e.Route != 0 || e.Flags&bridge.FlagASGI != 0 {
		t.Fatalf("API route record: route %d flags %d", e.Route, e.Flags)
	}
}

func TestStaticServedBeforeFallback(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.css"), []byte("body{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fallbackConfig()
	cfg.Static = &static.Config{URL: "/static/", Dirs: []static.Dir{{Root: dir}}}
	ts := startServer(t, cfg, echoAnswer)
	resp := ts.get(t, "/static/app.css")
	if resp.StatusCode() != 200 || string(resp.Body()) != "body{}" || !strings.HasPrefix(string(resp.Header.ContentType()), "text/css") {
		t.Fatalf("static: %d %q %q", resp.StatusCode(), resp.Header.ContentType(), resp.Body())
	}
	assertJSONError(t, ts.get(t, "/static/missing.css"), 404, "Not Found")
	ts.assertPythonIdle(t)
}

func TestStaticConfigErrorsStopStartup(t *testing.T) {
	t.Parallel()
	cfg := Config{Static: &static.Config{URL: "/static/", Dirs: []static.Dir{{Root: "/no/such/dir"}}}}
	cfg.applyDefaults()
	if _, err := New(&cfg); err == nil || !strings.Contains(err.Error(), "static directory") {
		t.Fatalf("New with a missing static dir: %v", err)
	}
}
