package server

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// socketPython accepts every upgrade, except ?refuse, which it answers 403, and echoes
// every message.
func socketPython(r *bridge.Request) *bridge.Response {
	switch r.Kind {
	case bridge.KindSocketOpen:
		if strings.Contains(string(r.Query), "refuse") {
			return &bridge.Response{Status: 403, ContentType: bridge.ContentTypeJSON, Body: []byte(`{"detail":"no"}`)}
		}
		return &bridge.Response{Kind: bridge.KindSocketAccept, Status: 101, Body: []byte("chat")}
	case bridge.KindSocketMessage:
		return &bridge.Response{Kind: bridge.KindSocketSend, ContentType: uint8(r.Flags), Body: r.Body}
	}
	return nil
}

func socketServer(t *testing.T, sc *SocketConfig) *testServer {
	return startServer(t, Config{
		Routes:    routes(router.Route{ID: 0, Method: "GET", Path: "/ws", Flags: bridge.FlagWebSocket | bridge.FlagHeaders}),
		WebSocket: sc,
	}, socketPython)
}

func dialSocket(t *testing.T, ts *testServer, query string) (*fws.Conn, error) {
	t.Helper()
	d := fws.Dialer{NetDial: func(string, string) (net.Conn, error) { return ts.connect() },
		HandshakeTimeout: ioTimeout, Subprotocols: []string{"chat"}}
	c, resp, err := d.Dial("ws://test/ws"+query, nil)
	if err == nil {
		t.Cleanup(func() { _ = c.Close() })
		if got := resp.Header.Get("Sec-Websocket-Protocol"); got != "chat" {
			t.Errorf("subprotocol %q, want Python's choice %q", got, "chat")
		}
	}
	return c, err
}

func TestSocketUpgradeAndEcho(t *testing.T) {
	ts := socketServer(t, nil)
	c, err := dialSocket(t, ts, "")
	if err != nil {
		t.Fatal(err)
	}
	if open := <-ts.seen; open.Kind != bridge.KindSocketOpen || open.Method != bridge.MethodGET {
		t.Fatalf("first record %+v, want a socket open", open)
	}
	_ = c.SetReadDeadline(time.Now().Add(ioTimeout))
	for _, m := range []string{"one", "two"} {
		if err := c.WriteMessage(fws.TextMessage, []byte(m)); err != nil {
			t.Fatal(err)
		}
		if _, got, err := c.ReadMessage(); err != nil || string(got) != m {
			t.Fatalf("echo %q %v, want %q", got, err, m)
		}
	}
}

func TestSocketHandshakeHeadersInAnyCase(t *testing.T) {
	ts := socketServer(t, nil)
	c := ts.dial(t)
	resp := c.do(t, "GET /ws HTTP/1.1\r\nhost: test\r\nupgrade: websocket\r\nconnection: upgrade\r\n"+
		"sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n")
	if resp.StatusCode() != 101 || string(resp.Header.Peek("Sec-WebSocket-Accept")) != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("status %d accept %q", resp.StatusCode(), resp.Header.Peek("Sec-WebSocket-Accept"))
	}
}

func TestSocketRefusals(t *testing.T) {
	ts := socketServer(t, &SocketConfig{MaxConnections: 1})
	assertJSONError(t, ts.get(t, "/ws"), 400, "Expected WebSocket upgrade request")
	upgrade := "GET /ws%s HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n"
	do := func(query, extra string) *testResponse {
		c := ts.dial(t)
		return &testResponse{c.do(t, sprintf(upgrade, query, extra))}
	}
	assertJSONError(t, do("", "Origin: https://evil.example\r\n").Response, 403, "Origin not allowed")
	if r := do("?refuse=1", ""); r.StatusCode() != 403 || string(r.Body()) != `{"detail":"no"}` {
		t.Fatalf("Python's refusal: %d %q", r.StatusCode(), r.Body())
	}
	// Same origin is allowed; it takes the only socket of the cap.
	if r := do("", "Origin: http://test\r\n"); r.StatusCode() != 101 {
		t.Fatalf("same-origin upgrade: %d %q", r.StatusCode(), r.Body())
	}
	assertJSONError(t, do("", "").Response, 503, "Too many WebSocket connections")
}

type testResponse struct{ *fasthttp.Response }

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func TestSocketUpgradesRefusedWhileStopping(t *testing.T) {
	ts := socketServer(t, nil)
	ts.srv.socketsClosing.Store(true) // what Stop sets first
	c := ts.dial(t)
	resp := c.do(t, "GET /ws HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	assertJSONError(t, resp, 503, "Server is shutting down")
	ts.srv.socketsClosing.Store(false)
}

// The upgrader's own refusals (after Python accepted) are JSON like every other, and give
// the socket's reservation back.
func TestSocketBadHandshakeRefusedJSON(t *testing.T) {
	ts := socketServer(t, &SocketConfig{MaxConnections: 1})
	c := ts.dial(t)
	resp := c.do(t, "GET /ws HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n")
	if resp.StatusCode() != 400 || !strings.Contains(string(resp.Body()), `"detail":"websocket: not a websocket handshake`) {
		t.Fatalf("bad key: %d %q", resp.StatusCode(), resp.Body())
	}
	if _, err := dialSocket(t, ts, ""); err != nil {
		t.Fatalf("the refused upgrade kept the only socket of the cap: %v", err)
	}
}

// A socket is detached from fasthttp after the handshake: it counts toward MAX_CONNECTIONS
// while open and gives its place back when it ends; with Compression the handshake accepts
// permessage-deflate and messages cross compressed.
func TestSocketDetachedCompressed(t *testing.T) {
	ts := socketServer(t, &SocketConfig{Compression: true})
	d := fws.Dialer{NetDial: func(string, string) (net.Conn, error) { return ts.connect() },
		HandshakeTimeout: ioTimeout, EnableCompression: true}
	c, resp, err := d.Dial("ws://test/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	if ext := resp.Header.Get("Sec-Websocket-Extensions"); !strings.Contains(ext, "permessage-deflate") {
		t.Fatalf("extensions %q", ext)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		t.Fatal("the 101 lost the request id the middleware set")
	}
	if n := ts.srv.capped.open.Load(); n != 1 {
		t.Fatalf("open connections %d with one socket, want 1", n)
	}
	msg := strings.Repeat("deflate me ", 300)
	_ = c.SetReadDeadline(time.Now().Add(ioTimeout))
	if err := c.WriteMessage(fws.TextMessage, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	if _, got, err := c.ReadMessage(); err != nil || string(got) != msg {
		t.Fatalf("echo %.20q %v", got, err)
	}
	_ = c.WriteControl(fws.CloseMessage, fws.FormatCloseMessage(1000, ""), time.Now().Add(time.Second))
	_, _, _ = c.ReadMessage() // the server's close
	_ = c.Close()
	deadline := time.Now().Add(ioTimeout)
	for ts.srv.capped.open.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := ts.srv.capped.open.Load(); n != 0 {
		t.Fatalf("open connections %d after the socket ended, want 0", n)
	}
}
