package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

func TestStaticResponsesServedWithoutPython(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	asset := filepath.Join(dir, "ui.js")
	if err := os.WriteFile(asset, []byte("console.log(1)"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, Config{
		Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/items"}),
		StaticResponses: []StaticResponse{
			{Path: "/openapi.json", ContentType: "application/json", Body: `{"openapi":"3.1.0"}`},
			{Path: "/docs/ui.js", ContentType: "text/javascript", File: asset},
			{Path: "/" + strings.Repeat("x", 70), ContentType: "text/plain", Body: "long"},
		},
	}, echoAnswer)

	resp := ts.get(t, "/openapi.json")
	if resp.StatusCode() != 200 || string(resp.Body()) != `{"openapi":"3.1.0"}` ||
		string(resp.Header.ContentType()) != "application/json" {
		t.Fatalf("openapi.json: %d %q %q", resp.StatusCode(), resp.Header.ContentType(), resp.Body())
	}
	if len(resp.Header.Peek("X-Request-ID")) == 0 {
		t.Fatal("static replies carry the request id like every other reply")
	}
	if resp = ts.get(t, "/docs/ui.js"); string(resp.Body()) != "console.log(1)" {
		t.Fatalf("file-backed static reply: %q", resp.Body())
	}
	if resp = ts.get(t, "/"+strings.Repeat("x", 70)); string(resp.Body()) != "long" {
		t.Fatalf("a path of 64 bytes or more: %q", resp.Body())
	}
	// Same length as a static path, different bytes: routing as usual (404 from the router).
	assertJSONError(t, ts.get(t, "/openapi.jsox"), 404, "Not Found")
	c := ts.dial(t)
	resp = c.do(t, "POST /openapi.json HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
	assertJSONError(t, resp, 405, "Method Not Allowed")
	if allow := string(resp.Header.Peek("Allow")); allow != "GET, HEAD" {
		t.Fatalf("Allow %q", allow)
	}
	ts.assertPythonIdle(t)
	// Other paths still reach routing (and Python).
	if e := decodeEcho(t, ts.get(t, "/items")); e.Route != 1 {
		t.Fatalf("route %d", e.Route)
	}
}

func TestStaticResponsesConfigErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`{"static_responses": [{"path": "docs", "content_type": "text/html"}]}`:                                                   "plain path",
		`{"static_responses": [{"path": "/a", "content_type": "x"}, {"path": "/a", "content_type": "x"}]}`:                        "twice",
		`{"static_responses": [{"path": "/a"}]}`:                                                                                  "content_type",
		`{"static_responses": [{"path": "/a", "content_type": "x", "body": "b", "file": "/f"}]}`:                                  "both",
		`{"static_responses": [{"path": "/health", "content_type": "x"}]}`:                                                        "health",
		`{"routes": [{"id": 0, "method": "GET", "path": "/docs"}], "static_responses": [{"path": "/docs", "content_type": "x"}]}`: "shadowed",
	}
	for cfg, want := range cases {
		if _, err := ParseConfig([]byte(cfg)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one mentioning %q", cfg, err, want)
		}
	}
	c, err := ParseConfig([]byte(`{"static_responses": [{"path": "/a", "content_type": "x", "file": "/no/such/file"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(c); err == nil || !strings.Contains(err.Error(), "/no/such/file") {
		t.Fatalf("missing file: %v", err)
	}
}
