package server

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// acceptPair returns a connection accepted by a capListener (a countedConn, its deadlines
// kept by the listener's sweeper) and the client's end of it.
func acceptPair(t *testing.T, interval time.Duration) (*countedConn, net.Conn, *capListener) {
	t.Helper()
	return acceptWith(t, func(l *capListener) { l.sweeper.interval = interval })
}

// acceptWith is acceptPair with the listener set up by configure before the accept.
func acceptWith(t *testing.T, configure func(*capListener)) (*countedConn, net.Conn, *capListener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &capListener{Listener: ln, max: 10}
	configure(l)
	t.Cleanup(func() { _ = ln.Close() })
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close() })
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(*countedConn), client, l
}

// forced reads the sides a sweep forced, under the lock the sweeper takes.
func forced(c *countedConn) uint8 {
	c.dl.mu.Lock()
	defer c.dl.mu.Unlock()
	return uint8(c.dl.forced.Load())
}

func readErr(c net.Conn) error {
	var b [8]byte
	_, err := c.Read(b[:])
	return err
}

func TestSweptReadDeadlineFailsABlockedRead(t *testing.T) {
	t.Parallel()
	c, _, _ := acceptPair(t, 5*time.Millisecond)
	// Far enough ahead not to count as due: only a sweep can enforce it.
	if err := c.SetReadDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if forced(c) != 0 {
		t.Fatalf("a deadline 100 ms ahead went to the socket at once")
	}
	if err := readErr(c); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read = %v, want a deadline error", err)
	}
}

func TestSweptDeadlineIsLiftedByTheNextOne(t *testing.T) {
	t.Parallel()
	c, client, l := acceptPair(t, 5*time.Millisecond)
	_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if err := readErr(c); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read = %v, want a deadline error", err)
	}
	// As fasthttp does for the next request: a new deadline, far away. The forced one on
	// the socket must be gone, or this read would fail at once.
	_ = c.SetReadDeadline(time.Now().Add(time.Minute))
	if forced(c)&sideRead != 0 {
		t.Fatalf("forced read deadline not lifted")
	}
	l.sweeper.sweep(time.Now().UnixNano()) // a sweep now must leave the new deadline alone
	if _, err := client.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := readErr(c); err != nil {
		t.Fatalf("Read after a new deadline = %v", err)
	}
}

func TestDueDeadlineGoesToTheSocketAtOnce(t *testing.T) {
	t.Parallel()
	// A connection no sweeper knows, whose coarse clock says "an hour from now": only the
	// immediate path can fail these reads.
	server, client := net.Pipe()
	defer client.Close()
	l := &capListener{}
	l.sweeper.soon.Store(time.Now().Add(time.Hour).UnixNano())
	c := &countedConn{Conn: server, l: l}
	defer c.Close()
	_ = c.SetDeadline(aLongTimeAgo) // how WebSocket's kill interrupts a reader
	if err := readErr(c); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read = %v, want a deadline error", err)
	}
	_ = c.SetDeadline(time.Time{})
	c.dl.mu.Lock()
	left := c.dl.forced.Load() != 0 || c.dl.read.Load() != 0 || c.dl.write.Load() != 0
	c.dl.mu.Unlock()
	if left {
		t.Fatalf("a zero deadline left something set")
	}
	_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
	if err := readErr(c); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read = %v, want a deadline error", err)
	}
}

func TestSweptWriteDeadlineFailsABlockedWrite(t *testing.T) {
	t.Parallel()
	c, _, _ := acceptPair(t, 5*time.Millisecond)
	_ = c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	// The client reads nothing: the socket buffers fill and Write blocks until the sweep.
	chunk := make([]byte, 1<<20)
	var err error
	for err == nil {
		_, err = c.Write(chunk)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Write = %v, want a deadline error", err)
	}
}

func TestSweeperForgetsClosedConnections(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	l := &capListener{Listener: ln, max: 10}
	l.sweeper.interval = time.Millisecond
	var conns []net.Conn
	for range 3 {
		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		c, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	_ = conns[1].Close()
	_ = conns[1].Close() // a second close must not remove another connection
	l.sweeper.mu.Lock()
	n := len(l.sweeper.conns)
	for i, c := range l.sweeper.conns {
		if c.dl.index != i {
			t.Errorf("conns[%d] has index %d", i, c.dl.index)
		}
	}
	l.sweeper.mu.Unlock()
	if n != 2 {
		t.Fatalf("%d connections registered, want 2", n)
	}
	_ = conns[0].Close()
	_ = conns[2].Close()
	// With none open the sweep goroutine ends (the package's leak check would see it).
	for {
		l.sweeper.mu.Lock()
		running := l.sweeper.running
		l.sweeper.mu.Unlock()
		if !running {
			break
		}
		time.Sleep(time.Millisecond)
	}
}

// Deadlines set by the connection's goroutine race with sweeps (go test -race).
func TestDeadlinesRaceWithSweeps(t *testing.T) {
	t.Parallel()
	c, _, l := acceptPair(t, time.Millisecond)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 2000 {
			l.sweeper.sweep(time.Now().UnixNano())
		}
	}()
	for i := range 2000 {
		_ = c.SetReadDeadline(time.Now().Add(time.Duration(i%3) * time.Millisecond))
		_ = c.SetWriteDeadline(time.Now().Add(time.Minute))
	}
	<-done
	// Whatever happened, a far deadline set last leaves the socket usable.
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	if f := forced(c); f != 0 {
		t.Fatalf("forced sides left after a far deadline: %b", f)
	}
}

// stampPair is acceptPair with the server's timeouts set: the connection stamps its phases.
func stampPair(t *testing.T, read, write, idle time.Duration) (*countedConn, net.Conn, *capListener) {
	t.Helper()
	return acceptWith(t, func(l *capListener) { l.sweeper.setTimeouts(read, write, idle) })
}

// The phases stamp the deadline each timeout names, never earlier than the timeout.
func TestStampsFollowTheRequestPhases(t *testing.T) {
	t.Parallel()
	const read, write, idle = time.Hour, 2 * time.Hour, 3 * time.Hour
	before := time.Now().UnixNano()
	c, client, _ := stampPair(t, read, write, idle)
	// Accepted: READ_TIMEOUT for the first request, from the accept.
	if at := c.dl.read.Load(); at < before+int64(read) || at > before+int64(read+time.Minute) {
		t.Fatalf("first read deadline %d ns from the accept, want READ_TIMEOUT", at-before)
	}
	if _, err := client.Write([]byte("GET / HTTP/1.1\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	var buf [64]byte
	if _, err := c.Read(buf[:]); err != nil {
		t.Fatal(err)
	}
	if c.dl.write.Load() != 0 {
		t.Fatalf("a write deadline before any write")
	}
	// The reply: WRITE_TIMEOUT.
	if _, err := c.Write([]byte("HTTP/1.1 200 OK\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if at := c.dl.write.Load(); at < before+int64(write) || at > time.Now().UnixNano()+int64(write+time.Minute) {
		t.Fatalf("write deadline %d ns away, want WRITE_TIMEOUT", at-before)
	}
	// The wait for the next request: IDLE_TIMEOUT; its first bytes: READ_TIMEOUT again.
	go func() { time.Sleep(20 * time.Millisecond); _, _ = client.Write([]byte("G")) }()
	c.readStarts()
	if at := c.dl.read.Load(); at < before+int64(idle) {
		t.Fatalf("idle deadline %d ns away, want IDLE_TIMEOUT", at-before)
	}
	if _, err := c.Read(buf[:]); err != nil {
		t.Fatal(err)
	}
	if !c.dl.readDue || c.dl.phase != phaseRead {
		t.Fatalf("the next request's bytes did not start its read (phase %d)", c.dl.phase)
	}
	// The request is read on (the rest of its head): READ_TIMEOUT from then.
	if _, err := client.Write([]byte("ET / HTTP/1.1\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(buf[:]); err != nil {
		t.Fatal(err)
	}
	if at := c.dl.read.Load(); at < before+int64(read) || at >= before+int64(write) {
		t.Fatalf("read deadline %d ns away when the request is read on, want READ_TIMEOUT", at-before)
	}
}

// The idle wait after a reply is cut at IDLE_TIMEOUT by a sweep; the read of a request
// that started is not.
func TestStampedIdleDeadlineFailsTheWait(t *testing.T) {
	t.Parallel()
	c, client, _ := stampPair(t, time.Hour, time.Hour, 40*time.Millisecond)
	if _, err := client.Write([]byte("GET\r\n\r\n")); err != nil { // read whole (readErr reads 8 bytes)
		t.Fatal(err)
	}
	if err := readErr(c); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("HTTP/1.1 200 OK\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := readErr(c); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("idle Read = %v, want a deadline error", err)
	}
}

// A 100 Continue is no reply: the request's read goes on, with its READ_TIMEOUT.
func TestInterimWriteKeepsTheReadPhase(t *testing.T) {
	t.Parallel()
	c, client, _ := stampPair(t, 40*time.Millisecond, time.Hour, time.Hour)
	if _, err := client.Write([]byte("POST\r\n\r\n")); err != nil { // read whole (readErr reads 8 bytes)
		t.Fatal(err)
	}
	if err := readErr(c); err != nil {
		t.Fatal(err)
	}
	c.dl.interim = true
	if _, err := c.Write([]byte("HTTP/1.1 100 Continue\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	if c.dl.phase != phaseRead || c.dl.write.Load() != 0 {
		t.Fatalf("the 100 Continue started the write phase")
	}
	// The body never comes: READ_TIMEOUT (40 ms), not IDLE_TIMEOUT (an hour).
	if err := readErr(c); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read of the body = %v, want a deadline error", err)
	}
}

// A hijacked connection stamps nothing more: whoever took it sets its deadlines.
func TestHijackStopsTheStamps(t *testing.T) {
	t.Parallel()
	c, client, _ := stampPair(t, time.Hour, time.Hour, time.Hour)
	c.hijacked()
	if c.dl.auto || c.dl.write.Load() == 0 {
		t.Fatalf("hijack: auto %v, write deadline %d (the 101 must get one)", c.dl.auto, c.dl.write.Load())
	}
	_ = c.SetDeadline(time.Time{}) // as fasthttp does before the hijack handler
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Write([]byte("y")); err != nil {
		t.Fatal(err)
	}
	if err := readErr(c); err != nil {
		t.Fatal(err)
	}
	if c.dl.read.Load() != 0 || c.dl.write.Load() != 0 {
		t.Fatalf("a hijacked connection was stamped")
	}
}

// Stamps (no lock) race with sweeps forcing the deadlines they replace (go test -race):
// a far stamp set last leaves the socket usable.
func TestStampsRaceWithSweeps(t *testing.T) {
	t.Parallel()
	c, client, l := stampPair(t, time.Hour, time.Hour, time.Hour)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 2000 {
			l.sweeper.sweep(time.Now().UnixNano())
		}
	}()
	for i := range 2000 {
		c.stamp(sideRead, time.Now().UnixNano()-int64(i%2)*int64(time.Second))
		c.stamp(sideWrite, time.Now().UnixNano())
	}
	<-done
	c.stamp(sideRead, time.Now().Add(time.Minute).UnixNano())
	c.stamp(sideWrite, time.Now().Add(time.Minute).UnixNano())
	if f := forced(c); f != 0 {
		t.Fatalf("forced sides left after far stamps: %b", f)
	}
	if _, err := client.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := readErr(c); err != nil {
		t.Fatalf("Read after far stamps = %v", err)
	}
}

// Through fasthttp (its own timeouts off): the read of a request that started is held to
// READ_TIMEOUT, not IDLE_TIMEOUT, and the bytes of the next request end the idle wait.
func TestWireStampedPhases(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{
		ReadTimeoutMs: 10_000, IdleTimeoutMs: 500,
		Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/"}),
	}, echoAnswer)
	c := ts.dial(t)
	decodeEcho(t, c.do(t, "GET / HTTP/1.1\r\nHost: t\r\n\r\n"))
	// The next head starts within the idle timeout and is finished after it: the read
	// phase (10 s) holds, the idle one (500 ms) does not cut it.
	c.send(t, "GET / HTTP/1.1\r\n")
	time.Sleep(time.Second)
	decodeEcho(t, c.do(t, "Host: t\r\n\r\n"))
	c.assertClosed(t) // and the idle wait after it is cut at 500 ms again
}

// A 100 Continue does not start an idle wait: a body that never comes is cut at
// READ_TIMEOUT (408), where IDLE_TIMEOUT (a minute) would outlast the test.
func TestWireContinueKeepsReadTimeout(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{
		ReadTimeoutMs: 200, IdleTimeoutMs: 60_000,
		Routes: routes(router.Route{ID: 1, Method: "POST", Path: "/"}),
	}, echoAnswer)
	c := ts.dial(t)
	c.send(t, "POST / HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n")
	line := make([]byte, len("HTTP/1.1 100 Continue\r\n\r\n"))
	if _, err := io.ReadFull(c.br, line); err != nil || string(line) != "HTTP/1.1 100 Continue\r\n\r\n" {
		t.Fatalf("want 100 Continue, got %q (%v)", line, err)
	}
	// No byte of the body comes: the wait for it is the request's read.
	assertJSONError(t, c.read(t), 408, "Request timeout")
}

// BenchmarkDeadlines prices a keep-alive request's deadline work: "fasthttp" as fasthttp
// did it with its timeouts on (three time.Now and three setDeadline calls), "stamps" as
// countedConn does it now (idle, read and write stamps from the coarse clock).
func BenchmarkDeadlines(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	l := &capListener{Listener: ln, max: 10}
	l.sweeper.setTimeouts(15*time.Second, 30*time.Second, 75*time.Second)
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	nc, err := l.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	c := nc.(*countedConn)
	b.Run("fasthttp", func(b *testing.B) {
		for b.Loop() {
			_ = c.SetReadDeadline(time.Now().Add(75 * time.Second))
			_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
			_ = c.SetWriteDeadline(time.Now().Add(30 * time.Second))
		}
	})
	b.Run("stamps", func(b *testing.B) {
		for b.Loop() {
			c.dl.phase = phaseWrite
			c.readStarts()
			c.readGot()
			c.writeStarts()
		}
	})
}
