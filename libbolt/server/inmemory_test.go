package server

import (
	"bufio"
	"bytes"
	"errors"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

func parseRaw(t *testing.T, raw []byte, head bool) *fasthttp.Response {
	t.Helper()
	var resp fasthttp.Response
	resp.SkipBody = head
	if err := resp.Read(bufio.NewReader(bytes.NewReader(raw))); err != nil {
		t.Fatalf("response %q: %v", raw, err)
	}
	return &resp
}

func TestRoundTripGoesThroughRouterAndBridge(t *testing.T) {
	t.Parallel()
	ts := startMemServer(t, Config{Routes: routes(router.Route{ID: 3, Method: "GET", Path: "/items/{id}"})}, echoAnswer)
	ts.srv.mem = ts.ln // what StartInMemory sets; the harness already serves on ts.ln

	raw, err := ts.srv.RoundTrip([]byte("GET /items/7?q=x HTTP/1.1\r\nHost: testserver\r\n\r\n"))
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	e := decodeEcho(t, parseRaw(t, raw, false))
	if e.Route != 3 || e.Params != "7" || e.Query != "q\x00x" {
		t.Fatalf("echo = %+v", e)
	}

	raw, err = ts.srv.RoundTrip([]byte("HEAD /items/7 HTTP/1.1\r\nHost: testserver\r\n\r\n"))
	if err != nil {
		t.Fatalf("HEAD RoundTrip: %v", err)
	}
	if resp := parseRaw(t, raw, true); resp.StatusCode() != 200 || len(resp.Body()) != 0 {
		t.Fatalf("HEAD: %d %q", resp.StatusCode(), resp.Body())
	}

	raw, err = ts.srv.RoundTrip([]byte("GET /nope HTTP/1.1\r\nHost: testserver\r\n\r\n"))
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	assertJSONError(t, parseRaw(t, raw, false), 404, "Not Found")
}

func TestRoundTripNeedsInMemoryServer(t *testing.T) {
	t.Parallel()
	s := &Server{}
	if _, err := s.RoundTrip([]byte("GET / HTTP/1.1\r\n\r\n")); !errors.Is(err, ErrNotInMemory) {
		t.Fatalf("RoundTrip on a socket server: %v, want ErrNotInMemory", err)
	}
}
