package server

import (
	"sync"
	"sync/atomic"
	"time"
)

// Connection deadlines without a runtime timer per request.
//
// fasthttp sets three deadlines on a keep-alive connection for every request: the idle
// wait, the read of the request, the write of the reply. Passed on to the socket, each one
// re-arms the connection's runtime timer (a timer-heap update under the P's lock) and
// reads the clock again inside net. Speed: the Go-only bridge target on /hello, 7
// interleaved rounds, 9.1 -> 8.7 µs of server CPU per request (lower in 6 of 7 pairs;
// switching all three timeouts off had measured 0.9 µs; bench/RESULTS.md, issue 20).
// countedConn keeps the deadlines as numbers instead, and one sweeper per listener enforces those that
// passed by moving the socket's real deadline into the past, so a blocked Read or Write
// fails with a timeout exactly as before, just up to one sweep interval late (the
// interval is a sixteenth of the shortest configured timeout, 1-250 ms; the timeouts are
// seconds by default). A deadline that is due, or nearly, when it is set goes to the
// socket at once: code that interrupts a read with SetDeadline(time.Unix(1, 0)) or
// time.Now() (WebSocket kill, shutdown) is not delayed at all.

// Deadline sides, as bits of connDeadlines.forced.
const (
	sideRead  uint8 = 1
	sideWrite uint8 = 2
)

// aLongTimeAgo is a deadline that has passed: setting it fails blocked I/O at once.
var aLongTimeAgo = time.Unix(1, 0)

// connDeadlines is a connection's pending deadlines, in Unix nanoseconds (0: none).
type connDeadlines struct {
	mu     sync.Mutex // orders the owner's next deadline against a sweep forcing the last one
	read   int64
	write  int64
	forced uint8 // sides whose socket deadline was set (passed, or set because it was due)
	index  int   // position in deadlineSweeper.conns (under the sweeper's mu)
}

// deadlineSweeper enforces the deadlines of one listener's open connections.
type deadlineSweeper struct {
	interval time.Duration
	// soon is the bridge of the coarse clock to setDeadline: a deadline at or before it
	// is (nearly) due and set on the socket at once. Refreshed every sweep to now plus two
	// intervals, so anything later than that is reached by a sweep in time.
	soon    atomic.Int64
	mu      sync.Mutex
	conns   []*countedConn
	running bool // a sweep goroutine runs; it exits once no connection is open
}

// sweepInterval is a sixteenth of the shortest positive timeout, within 1-250 ms.
func sweepInterval(timeouts ...time.Duration) time.Duration {
	iv := 250 * time.Millisecond
	for _, t := range timeouts {
		if t > 0 {
			iv = min(iv, t/16)
		}
	}
	return max(iv, time.Millisecond)
}

// add registers an accepted connection and starts the sweeper if it is not running.
func (s *deadlineSweeper) add(c *countedConn) {
	s.mu.Lock()
	c.dl.index = len(s.conns)
	s.conns = append(s.conns, c)
	if !s.running {
		if s.interval <= 0 { // a listener built without sweepInterval (tests)
			s.interval = sweepInterval()
		}
		s.running = true
		s.soon.Store(time.Now().UnixNano() + 2*int64(s.interval))
		go s.run()
	}
	s.mu.Unlock()
}

// remove forgets a closed connection.
func (s *deadlineSweeper) remove(c *countedConn) {
	s.mu.Lock()
	last := len(s.conns) - 1
	i := c.dl.index
	if i > last || s.conns[i] != c { // never registered (built directly, in tests)
		s.mu.Unlock()
		return
	}
	s.conns[i] = s.conns[last]
	s.conns[i].dl.index = i
	s.conns[last] = nil
	s.conns = s.conns[:last]
	s.mu.Unlock()
}

func (s *deadlineSweeper) run() {
	tick := time.NewTicker(s.interval)
	defer tick.Stop()
	for range tick.C {
		if !s.sweep(time.Now().UnixNano()) {
			return
		}
	}
}

// sweep forces the deadlines that passed by now; false once no connection is open (the
// sweeper then exits, and the next add starts a new one).
func (s *deadlineSweeper) sweep(now int64) bool {
	s.soon.Store(now + 2*int64(s.interval))
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.conns) == 0 {
		s.running = false
		return false
	}
	for _, c := range s.conns {
		c.expire(now)
	}
	return true
}

// expire sets the socket deadline of each side whose deadline passed by now.
func (c *countedConn) expire(now int64) {
	d := &c.dl
	d.mu.Lock()
	var sides uint8
	if d.read != 0 && d.read <= now && d.forced&sideRead == 0 {
		sides |= sideRead
	}
	if d.write != 0 && d.write <= now && d.forced&sideWrite == 0 {
		sides |= sideWrite
	}
	if sides != 0 {
		d.forced |= sides
		_ = c.setSocketDeadline(aLongTimeAgo, sides)
	}
	d.mu.Unlock()
}

// setDeadline records t for sides. It touches the socket only when t is (nearly) due, or
// to lift a deadline that was forced on it before.
func (c *countedConn) setDeadline(t time.Time, sides uint8) error {
	var at int64
	if !t.IsZero() {
		at = t.UnixNano()
	}
	due := at != 0 && at <= c.l.sweeper.soon.Load()
	d := &c.dl
	d.mu.Lock()
	defer d.mu.Unlock()
	if sides&sideRead != 0 {
		d.read = at
	}
	if sides&sideWrite != 0 {
		d.write = at
	}
	if due {
		d.forced |= sides
		return c.setSocketDeadline(t, sides)
	}
	if lift := d.forced & sides; lift != 0 {
		d.forced &^= lift
		return c.setSocketDeadline(time.Time{}, lift)
	}
	return nil
}

func (c *countedConn) setSocketDeadline(t time.Time, sides uint8) error {
	switch sides {
	case sideRead:
		return c.Conn.SetReadDeadline(t)
	case sideWrite:
		return c.Conn.SetWriteDeadline(t)
	default:
		return c.Conn.SetDeadline(t)
	}
}
