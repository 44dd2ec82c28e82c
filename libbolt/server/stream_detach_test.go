package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// startTCPServer is startServer on a real loopback socket (with the linger wrapper, as
// Start uses): only TCP connections get their streamed replies detached (stream.go).
func startTCPServer(t *testing.T, cfg Config, answer answerFunc) (*testServer, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	// fasthttp's detached streams, or with BOLT_TEST_FRONT_END=loop the loops' (the
	// default front end on Linux).
	cfg.FrontEnd = frontFasthttp
	if testFrontEnd == frontLoop {
		cfg.FrontEnd = frontLoop
	}
	return serveOn(t, cfg, answer, lingerListener{ln}), ln.Addr().String()
}

func streamStartAnswer(*bridge.Request) *bridge.Response {
	return &bridge.Response{Kind: bridge.KindStreamStart, Status: 200, ContentType: 2}
}

func sendStream(t *testing.T, ts *testServer, id uint64, kind uint8, status uint16, body string) {
	t.Helper()
	rec := bridge.AppendResponse(nil, &bridge.Response{ID: id, Kind: kind, Status: status, Body: []byte(body)})
	if refused, err := ts.srv.Bridge.Respond(rec); refused != 0 || err != nil {
		t.Fatalf("Respond = %d refused, %v", refused, err)
	}
}

// Over TCP a streamed reply leaves fasthttp after its head: the head says chunked and
// Connection: close, each chunk arrives framed as it is sent, the connection closes after
// the last chunk, and its place under MAX_CONNECTIONS is given back once.
func TestDetachedStreamOverTCP(t *testing.T) {
	t.Parallel()
	ts, addr := startTCPServer(t, Config{Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/s"})}, streamStartAnswer)
	conn, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(ioTimeout))
	fmt.Fprint(conn, "GET /s HTTP/1.1\r\nHost: t\r\n\r\n")
	id := ts.next(t).ID

	var got []byte
	buf := make([]byte, 4096)
	readUntil := func(want string) {
		t.Helper()
		for !bytes.Contains(got, []byte(want)) {
			n, err := conn.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				t.Fatalf("read: %v (got %q)", err, got)
			}
		}
	}
	readUntil("\r\n\r\n")
	head := string(got)
	for _, want := range []string{"HTTP/1.1 200 OK\r\n", "Transfer-Encoding: chunked\r\n", "Connection: close\r\n", "Content-Type: text/plain; charset=utf-8\r\n"} {
		if !bytes.Contains([]byte(head), []byte(want)) {
			t.Fatalf("head %q lacks %q", head, want)
		}
	}
	waitFor(t, "the stream to leave fasthttp", func() bool { return ts.srv.detached.Load() == 1 })
	if open := ts.srv.capped.open.Load(); open != 1 {
		t.Fatalf("open connections = %d while streaming, want 1", open)
	}
	sendStream(t, ts, id, bridge.KindChunk, 0, "hello")
	readUntil("5\r\nhello\r\n")
	sendStream(t, ts, id, bridge.KindChunk, 0, string(make([]byte, 300)))
	sendStream(t, ts, id, bridge.KindStreamEnd, 0, "")
	rest, err := io.ReadAll(conn) // to EOF: the server closes after the last chunk
	if err != nil {
		t.Fatalf("read to close: %v", err)
	}
	got = append(got, rest...)
	_, body, _ := bytes.Cut(got, []byte("\r\n\r\n"))
	want := "5\r\nhello\r\n12c\r\n" + string(make([]byte, 300)) + "\r\n0\r\n\r\n"
	if string(body) != want {
		t.Fatalf("body %q, want %q", body, want)
	}
	waitFor(t, "the stream's end", func() bool { return ts.srv.detached.Load() == 0 })
	waitFor(t, "the connection's place back", func() bool { return ts.srv.capped.open.Load() == 0 })
	if ts.srv.Bridge.InFlight() != 0 {
		t.Fatalf("the stream's slot was not released")
	}
	select {
	case cid := <-ts.cancels:
		t.Fatalf("a complete stream was cancelled (%#x)", cid)
	default:
	}
}

// A client that goes away mid-stream: the next chunk's write fails, Python is told to
// cancel, and the slot and the connection's place are released.
func TestDetachedStreamClientGone(t *testing.T) {
	t.Parallel()
	ts, addr := startTCPServer(t, Config{Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/s"})}, streamStartAnswer)
	conn, err := net.DialTimeout("tcp", addr, ioTimeout)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	fmt.Fprint(conn, "GET /s HTTP/1.1\r\nHost: t\r\n\r\n")
	id := ts.next(t).ID
	waitFor(t, "the stream to leave fasthttp", func() bool { return ts.srv.detached.Load() == 1 })
	conn.Close()
	// Writes to a socket the peer closed fail after the RST that the first one provokes.
	for i := 0; ; i++ {
		select {
		case cid := <-ts.cancels:
			if cid != id {
				t.Fatalf("cancel for %#x, want %#x", cid, id)
			}
			waitFor(t, "the stream's end", func() bool { return ts.srv.detached.Load() == 0 })
			waitFor(t, "the connection's place back", func() bool { return ts.srv.capped.open.Load() == 0 })
			return
		case <-time.After(20 * time.Millisecond):
		}
		if i > 500 {
			t.Fatalf("no cancel after the client left")
		}
		rec := bridge.AppendResponse(nil, &bridge.Response{ID: id, Kind: bridge.KindChunk, Body: []byte("tick\n")})
		if refused, _ := ts.srv.Bridge.Respond(rec); refused != 0 {
			continue // the stream is gone already; its cancel is on the way
		}
		// Python's flow control: never more than the window in flight. Credits are not
		// tracked here, so stop sending well before it.
		if i%8 == 7 {
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// Through the real server: once the stream is detached, chunks leave from inside Respond
// (bridge/stream_direct.go); a client that stops reading makes the socket refuse them, the
// rest go to the stream's goroutine, and the client still gets every chunk once, in order,
// then the last chunk and the close.
func TestDetachedStreamDirectWritesAndASlowReader(t *testing.T) {
	t.Parallel()
	ts, addr := startTCPServer(t, Config{Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/s"})}, streamStartAnswer)
	d := net.Dialer{Timeout: ioTimeout, Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(ioTimeout))
	fmt.Fprint(conn, "GET /s HTTP/1.1\r\nHost: t\r\n\r\n")
	id := ts.next(t).ID
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("head: %v", err)
		}
		if line == "\r\n" {
			break
		}
	}
	stats := ts.srv.Bridge.Stats()
	var want bytes.Buffer
	for i := 0; stats.StreamDirect.Load() == 0; i++ {
		if i == 10 {
			t.Fatalf("no chunk was written directly in %d small chunks", i)
		}
		c := fmt.Sprintf("tick %d\n", i)
		sendStream(t, ts, id, bridge.KindChunk, 0, c)
		frame := fmt.Sprintf("%x\r\n%s\r\n", len(c), c)
		want.WriteString(frame)
		got := make([]byte, len(frame))
		if _, err := io.ReadFull(r, got); err != nil || string(got) != frame {
			t.Fatalf("read %q, %v; want %q", got, err, frame)
		}
		time.Sleep(5 * time.Millisecond) // the writer goroutine counts the chunk written
	}
	var tail bytes.Buffer
	for i := range 12 {
		c := bytes.Repeat([]byte{'a' + byte(i)}, 256<<10)
		sendStream(t, ts, id, bridge.KindChunk, 0, string(c))
		fmt.Fprintf(&tail, "%x\r\n%s\r\n", len(c), c)
	}
	if stats.StreamQueued.Load() == 0 {
		t.Fatalf("3 MiB went out directly to a client that reads nothing")
	}
	sendStream(t, ts, id, bridge.KindStreamEnd, 0, "")
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read to close: %v", err)
	}
	if string(rest) != tail.String()+"0\r\n\r\n" {
		t.Fatalf("body after the small chunks: %d bytes, want %d (order or framing differs)", len(rest), tail.Len()+5)
	}
	waitFor(t, "the stream's end", func() bool { return ts.srv.detached.Load() == 0 })
	waitFor(t, "the connection's place back", func() bool { return ts.srv.capped.open.Load() == 0 })
	if ts.srv.Bridge.InFlight() != 0 {
		t.Fatalf("the stream's slot was not released")
	}
}
