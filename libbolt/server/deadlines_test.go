package server

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// acceptPair returns a connection accepted by a capListener (a countedConn, its deadlines
// kept by the listener's sweeper) and the client's end of it.
func acceptPair(t *testing.T, interval time.Duration) (*countedConn, net.Conn, *capListener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &capListener{Listener: ln, max: 10}
	l.sweeper.interval = interval
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
	return c.dl.forced
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
	left := c.dl.forced != 0 || c.dl.read != 0 || c.dl.write != 0
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
