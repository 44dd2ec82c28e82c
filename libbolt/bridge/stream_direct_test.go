package bridge

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection; the server end's send buffer and
// the client end's receive buffer are small, so a client that does not read fills them
// after a few KB.
func tcpPair(t *testing.T) (server, client *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		if err != nil {
			return err
		}
		return serr
	}}
	cc, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	sc, err := ln.Accept()
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	server, client = sc.(*net.TCPConn), cc.(*net.TCPConn)
	if err := server.SetWriteBuffer(4096); err != nil {
		t.Fatalf("SetWriteBuffer: %v", err)
	}
	t.Cleanup(func() { _ = server.Close(); _ = client.Close() })
	return server, client
}

func attach(t *testing.T, st *Stream, c *net.TCPConn) {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatalf("SyscallConn: %v", err)
	}
	st.Attach(rc)
}

func chunked(chunks ...string) string {
	var b bytes.Buffer
	for _, c := range chunks {
		b.WriteString(strconv.FormatInt(int64(len(c)), 16) + "\r\n" + c + "\r\n")
	}
	return b.String()
}

func creditsPolled(t *testing.T, b *Bridge) int {
	t.Helper()
	n := 0
	for _, r := range pollAll(t, b) {
		if r.Kind != KindCredit {
			t.Fatalf("unexpected record %+v", r)
		}
		n += int(r.Flags)
	}
	return n
}

// Once attached, a chunk goes to the socket from inside Respond (no writer goroutine runs
// here); when the socket stops taking chunks (the client does not read) the rest queue for
// the writer, and the client gets every chunk exactly once, in order, then the last chunk.
func TestStreamDirectWritesFallBackForASlowReader(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	s := startStream(t, b)
	id := s.ID()
	server, client := tcpPair(t)
	attach(t, s.Stream, server)

	sendStream := func(body string) {
		t.Helper()
		respondStream(t, b, id, KindChunk, 0, body)
	}
	sendStream("first")
	want := chunked("first")
	got := make([]byte, len(want))
	_ = client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(client, got); err != nil || string(got) != want {
		t.Fatalf("read %q, %v; want %q", got, err, want)
	}
	if d, q := b.stats.StreamDirect.Load(), b.stats.StreamQueued.Load(); d != 1 || q != 0 {
		t.Fatalf("direct %d, queued %d; want the chunk written directly", d, q)
	}

	// The client stops reading: 12 chunks of 64 KiB cannot all fit the socket's buffers.
	chunks := []string{"first"}
	for i := range 12 {
		c := string(bytes.Repeat([]byte{'a' + byte(i)}, 64<<10))
		chunks = append(chunks, c)
		sendStream(c)
	}
	if q := b.stats.StreamQueued.Load(); q == 0 {
		t.Fatalf("no chunk was left to the writer although the client read nothing")
	}
	respondStream(t, b, id, KindStreamEnd, 0, "")
	done := make(chan error, 1)
	go func() {
		err := s.Stream.WriteChunks(server)
		_ = server.Close()
		done <- err
	}()
	rest, err := io.ReadAll(client)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("WriteChunks: %v", err)
	}
	if body := want + string(rest); body != chunked(chunks...)+"0\r\n\r\n" {
		t.Fatalf("body of %d bytes differs from the %d sent (order or framing)", len(body), len(chunked(chunks...))+5)
	}
	if n := creditsPolled(t, b); n != len(chunks) {
		t.Fatalf("credits returned %d, want %d (one per chunk, direct or not)", n, len(chunks))
	}
	_ = s.Stream.Close()
	if recs := pollAll(t, b); len(recs) != 0 {
		t.Fatalf("a complete stream was cancelled: %+v", recs)
	}
	if b.InFlight() != 0 {
		t.Fatalf("the slot was not released")
	}
}

// A peer that closed the connection: the direct write fails (or the kernel took the chunk
// before the RST came back); nothing blocks, the failed chunk goes to the writer, whose
// write fails too, and closing the stream tells Python to cancel.
func TestStreamDirectWriteToAClosedPeer(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	s := startStream(t, b)
	id := s.ID()
	server, client := tcpPair(t)
	attach(t, s.Stream, server)
	_ = client.Close()
	sent := 0
	for b.stats.StreamQueued.Load() == 0 {
		if sent == StreamWindow {
			t.Fatalf("%d chunks written directly to a closed peer without an error", sent)
		}
		respondStream(t, b, id, KindChunk, 0, "tick")
		sent++
		time.Sleep(time.Millisecond) // the RST the first write provokes
	}
	// Once something is pending, later chunks queue behind it.
	respondStream(t, b, id, KindChunk, 0, "more")
	if d := b.stats.StreamDirect.Load(); d != uint64(sent-1) {
		t.Fatalf("direct %d after %d sent, want %d", d, sent, sent-1)
	}
	err := s.Stream.WriteChunks(server)
	if err == nil || errors.Is(err, ErrStreamAborted) {
		t.Fatalf("WriteChunks = %v, want the socket's error", err)
	}
	_ = s.Stream.Close()
	recs := pollAll(t, b)
	if len(recs) == 0 || recs[len(recs)-1].Kind != KindCancel || recs[len(recs)-1].ID != id {
		t.Fatalf("want a cancel record last, got %+v", recs)
	}
	if b.InFlight() != 0 {
		t.Fatalf("the slot was not released")
	}
}

// Chunks queued before the connection was attached are written by the writer first; only
// once nothing is pending does a chunk go directly.
func TestStreamDirectWaitsForQueuedChunks(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	s := startStream(t, b)
	id := s.ID()
	server, client := tcpPair(t)
	respondStream(t, b, id, KindChunk, 0, "one")
	attach(t, s.Stream, server)
	respondStream(t, b, id, KindChunk, 0, "two")
	if d := b.stats.StreamDirect.Load(); d != 0 {
		t.Fatalf("a chunk was written directly ahead of a queued one")
	}
	idle := make(chan struct{}, 4)
	s.Stream.Idle = func() { idle <- struct{}{} }
	done := make(chan error, 1)
	go func() { done <- s.Stream.WriteChunks(server) }()
	<-idle // both queued chunks written
	respondStream(t, b, id, KindChunk, 0, "three")
	if d := b.stats.StreamDirect.Load(); d != 1 {
		t.Fatalf("direct %d, want the third chunk written directly", d)
	}
	respondStream(t, b, id, KindStreamEnd, 0, "")
	if err := <-done; err != nil {
		t.Fatalf("WriteChunks: %v", err)
	}
	_ = server.Close()
	_ = client.SetReadDeadline(time.Now().Add(10 * time.Second))
	body, err := io.ReadAll(client)
	if err != nil || string(body) != chunked("one", "two", "three")+"0\r\n\r\n" {
		t.Fatalf("body %q, %v", body, err)
	}
	_ = s.Stream.Close()
}

// lockProbe is a syscall.RawConn over a pipe that records whether the bridge mutex was
// free while a direct write ran.
type lockProbe struct {
	b      *Bridge
	w      *os.File
	locked []bool
}

func (p *lockProbe) Control(func(uintptr)) error   { return nil }
func (p *lockProbe) Read(func(uintptr) bool) error { return nil }
func (p *lockProbe) Write(f func(uintptr) bool) error {
	free := p.b.mu.TryLock()
	if free {
		p.b.mu.Unlock()
	}
	p.locked = append(p.locked, !free)
	f(p.w.Fd())
	return nil
}

// The system call of a direct write runs with the bridge mutex released: request
// goroutines submitting meanwhile never wait for a socket.
func TestStreamDirectWriteHoldsNoBridgeLock(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	s := startStream(t, b)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatalf("pipe: %v", err)
	}
	defer r.Close()
	defer w.Close()
	probe := &lockProbe{b: b, w: w}
	s.Stream.Attach(probe)
	respondStream(t, b, s.ID(), KindChunk, 0, "tick")
	if len(probe.locked) != 1 || probe.locked[0] {
		t.Fatalf("direct writes %v (true: under the bridge mutex)", probe.locked)
	}
	got := make([]byte, len("4\r\ntick\r\n"))
	if _, err := io.ReadFull(r, got); err != nil || string(got) != "4\r\ntick\r\n" {
		t.Fatalf("pipe got %q, %v", got, err)
	}
	_ = s.Stream.Close()
}
