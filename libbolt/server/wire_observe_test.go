package server

import (
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/compress"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

var bigBody = []byte(`{"items":"` + strings.Repeat("compress me ", 200) + `"}`)

func bigAnswer(r *bridge.Request) *bridge.Response {
	return &bridge.Response{Status: 200, ContentType: 1, Body: bigBody}
}

func TestWireCompression(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{
		Routes: routes(
			router.Route{ID: 0, Method: "GET", Path: "/big"},
			router.Route{ID: 1, Method: "GET", Path: "/plain"},
		),
		RouteCompression: map[uint16]*compress.Config{1: {Disabled: true}},
	}, bigAnswer)

	c := ts.dial(t)
	resp := c.do(t, "GET /big HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip;q=0.5, br\r\n\r\n")
	if enc := string(resp.Header.ContentEncoding()); enc != "br" {
		t.Fatalf("Content-Encoding %q, want br", enc)
	}
	if body, err := resp.BodyUnbrotli(); err != nil || string(body) != string(bigBody) {
		t.Fatalf("brotli body does not decode to the reply: %v", err)
	}
	if v := string(resp.Header.Peek("Vary")); v != "Accept-Encoding" {
		t.Fatalf("Vary %q", v)
	}
	// The connection stays usable (the compressed body's length framed it correctly).
	resp = c.do(t, "GET /big HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n")
	if body, err := resp.BodyGunzip(); err != nil || string(body) != string(bigBody) {
		t.Fatalf("gzip body: %v", err)
	}
	resp = c.do(t, "GET /plain HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip, br, zstd\r\n\r\n")
	if enc := resp.Header.ContentEncoding(); len(enc) != 0 || string(resp.Body()) != string(bigBody) {
		t.Fatalf("@no_compress route compressed: %q", enc)
	}
}

func scrapeMetrics(t *testing.T, ts *testServer, extraHeaders string) *fasthttp.Response {
	t.Helper()
	return ts.dial(t).do(t, "GET /metrics HTTP/1.1\r\nHost: t\r\n"+extraHeaders+"\r\n")
}

func TestWireMetrics(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{Routes: routes(router.Route{ID: 0, Method: "GET", Path: "/items/{id}"})}, echoAnswer)
	for _, id := range []string{"1", "2", "3"} {
		ts.get(t, "/items/"+id)
	}
	ts.get(t, "/nowhere/42")
	ts.get(t, "/health")
	resp := scrapeMetrics(t, ts, "")
	if resp.StatusCode() != 200 || !strings.HasPrefix(string(resp.Header.ContentType()), "text/plain; version=0.0.4") {
		t.Fatalf("metrics: %d %q", resp.StatusCode(), resp.Header.ContentType())
	}
	out := string(resp.Body())
	for _, want := range []string{
		`bolt_requests_total{route="/items/{id}",method="GET",status="200"} 3`,
		`bolt_requests_total{route="<unmatched>",method="GET",status="404"} 1`,
		`bolt_requests_total{route="/health",method="GET",status="200"} 1`,
		`bolt_handler_duration_seconds_count{route="/items/{id}",method="GET"} 3`,
		"bolt_requests_in_flight 1", // the scrape itself
		"bolt_open_connections ",
		"bolt_bridge_records_total 3",
		"go_goroutines ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q", want)
		}
	}
	if strings.Contains(out, "/items/1") || strings.Contains(out, "/nowhere") {
		t.Error("raw paths became label values")
	}
}

func TestWireMetricsToken(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{MetricsToken: "s3cret-token"}, echoAnswer)
	for _, h := range []string{"", "Authorization: Bearer wrong\r\n", "Authorization: s3cret-token\r\n"} {
		resp := scrapeMetrics(t, ts, h)
		assertJSONError(t, resp, 401, "Metrics require a bearer token")
		if !strings.HasPrefix(string(resp.Header.Peek("WWW-Authenticate")), "Bearer") {
			t.Errorf("no WWW-Authenticate with %q", h)
		}
	}
	if resp := scrapeMetrics(t, ts, "authorization: Bearer s3cret-token\r\n"); resp.StatusCode() != 200 {
		t.Fatalf("with the token: %d", resp.StatusCode())
	}
}

func TestWireMetricsOff(t *testing.T) {
	t.Parallel()
	off := ""
	ts := startServer(t, Config{MetricsPath: &off}, echoAnswer)
	if resp := ts.get(t, "/metrics"); resp.StatusCode() != 404 {
		t.Fatalf("metrics off: %d", resp.StatusCode())
	}
}

// A client that hangs up before its reply is written shows up as a write error, and the
// server keeps serving.
func TestWireDisconnectBeforeReplyIsCounted(t *testing.T) {
	t.Parallel()
	if testFrontEnd == frontLoop {
		// Over TCP the reply's first write after the client's close succeeds (the kernel
		// takes it; the RST comes after): only the in-memory pipe fails it at once.
		t.Skip("needs the in-memory listener")
	}
	release := make(chan struct{})
	ts := startServer(t, Config{Routes: routes(router.Route{ID: 0, Method: "GET", Path: "/slow"})}, func(r *bridge.Request) *bridge.Response {
		<-release
		return bigAnswer(r)
	})
	c := ts.dial(t)
	c.send(t, "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
	ts.next(t) // Python has it
	c.conn.Close()
	close(release)
	deadline := time.Now().Add(ioTimeout)
	for !strings.Contains(string(scrapeMetrics(t, ts, "").Body()), "bolt_response_write_errors_total 1") {
		if time.Now().After(deadline) {
			t.Fatal("write error never counted")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if resp := ts.get(t, "/slow"); resp.StatusCode() != 200 {
		t.Fatalf("after the disconnect: %d", resp.StatusCode())
	}
}
