package server

import (
	"sync"
	"sync/atomic"
	"time"
)

// Connection deadlines without a runtime timer, and without a clock read, per request.
//
// fasthttp would set three deadlines on a keep-alive connection for every request: the
// idle wait, the read of the request, the write of the reply. Passed on to the socket, each
// one re-arms the connection's runtime timer (a timer-heap update under the P's lock) and
// reads the clock again inside net. Speed: the Go-only bridge target on /hello, 7
// interleaved rounds, 9.1 -> 8.7 µs of server CPU per request (lower in 6 of 7 pairs;
// switching all three timeouts off had measured 0.9 µs; bench/RESULTS.md, issue 20).
// countedConn keeps the deadlines as numbers instead, and one sweeper per listener enforces
// those that passed by moving the socket's real deadline into the past, so a blocked Read
// or Write fails with a timeout exactly as before, just up to one sweep interval late (the
// interval is a sixteenth of the shortest configured timeout, 1-250 ms; the timeouts are
// seconds by default). A deadline that is due, or nearly, when it is set goes to the
// socket at once: code that interrupts a read with SetDeadline(time.Unix(1, 0)) or
// time.Now() (WebSocket kill, shutdown) is not delayed at all.
//
// fasthttp's own timeouts are off (0): it read the clock (time.Now, two vDSO calls) for
// each of the three deadlines. countedConn stamps the same three phases itself, from the
// sweeper's coarse clock (no clock read at all), as its Read and Write see them: the first
// Read after a reply starts the idle wait (IDLE_TIMEOUT, or READ_TIMEOUT without one), the
// bytes of the next request start its read (READ_TIMEOUT, covering the head and the body
// the handler reads; stamped at the request's second Read: one that arrives whole in one
// Read needs none), the first Write of the reply starts the write (WRITE_TIMEOUT). A new
// connection gets READ_TIMEOUT from its accept, as fasthttp gave it. A stamp is a coarse
// time plus one sweep interval plus the timeout, so a timeout never fires early; it fires
// up to two intervals late. See bench/RESULTS.md, "Issue 20, part C".

// Deadline sides, as bits of connDeadlines.forced.
const (
	sideRead  uint8 = 1
	sideWrite uint8 = 2
)

// aLongTimeAgo is a deadline that has passed: setting it fails blocked I/O at once.
var aLongTimeAgo = time.Unix(1, 0)

// connDeadlines is a connection's pending deadlines, in Unix nanoseconds (0: none).
//
// read, write and forced are atomics so that the per-request stamps (stamp) take no lock:
// a stamp stores its deadline, then looks at forced; a sweep sets the forced bit, then
// looks at the deadline (both under mu, against each other and the explicit setters).
// Either the sweep sees the new deadline (and forces nothing), or the stamp sees the bit
// and lifts it under mu.
type connDeadlines struct {
	mu     sync.Mutex // orders explicit deadlines and lifts against a sweep forcing the last one
	read   atomic.Int64
	write  atomic.Int64
	forced atomic.Uint32 // sides whose socket deadline was set (passed, or set because it was due)
	index  int           // position in deadlineSweeper.conns (under the sweeper's mu)
	// auto: countedConn stamps the request phases itself (the server's timeouts are set and
	// the connection is not hijacked); phase is where the connection is. Owned by the
	// goroutine fasthttp serves the connection on.
	auto    bool
	phase   connPhase
	interim bool // the next Write is a 100 Continue: the request's read goes on after it
	// readDue: a request's first bytes arrived; its READ_TIMEOUT is stamped at its next
	// Read (a head cut short, a body), if there is one. Speed: most requests arrive whole in
	// one Read and are never read again before their reply, so their read deadline would
	// never be used; not stamping it lets the idle stamp of the next wait find the value it
	// would store already there (the coarse clock moves once per sweep) and skip the store.
	readDue bool
}

// connPhase is where a served connection is in its request cycle (for the stamps).
type connPhase uint8

const (
	phaseRead  connPhase = iota // a request is read (or handled): READ_TIMEOUT
	phaseWrite                  // its reply is written: WRITE_TIMEOUT
	phaseIdle                   // waiting for the next request: IDLE_TIMEOUT
)

// deadlineSweeper enforces the deadlines of one listener's open connections.
type deadlineSweeper struct {
	interval time.Duration
	// The server's timeouts in nanoseconds (0: none), stamped by countedConn itself;
	// idle is IDLE_TIMEOUT, or READ_TIMEOUT without one (as fasthttp has it). All 0 (a
	// listener built without them, in tests): nothing is stamped.
	read, write, idle int64
	// now is the coarse clock: the time of the last sweep (or of the sweeper's start).
	now atomic.Int64
	// soon is the bridge of the coarse clock to setDeadline: a deadline at or before it
	// is (nearly) due and set on the socket at once. Refreshed every sweep to now plus two
	// intervals, so anything later than that is reached by a sweep in time.
	soon    atomic.Int64
	mu      sync.Mutex
	conns   []*countedConn
	running bool // a sweep goroutine runs; it exits once no connection is open
}

// setTimeouts configures the timeouts countedConn stamps (before the listener serves).
func (s *deadlineSweeper) setTimeouts(read, write, idle time.Duration) {
	s.interval = sweepInterval(read, write, idle)
	s.read, s.write, s.idle = int64(read), int64(write), int64(idle)
	if idle <= 0 {
		s.idle = s.read
	}
}

// stamps reports whether accepted connections stamp their phases.
func (s *deadlineSweeper) stamps() bool { return s.read > 0 || s.write > 0 || s.idle > 0 }

// at is the deadline for a phase that starts now and lasts timeout (0: none).
func (s *deadlineSweeper) at(timeout int64) int64 {
	if timeout <= 0 {
		return 0
	}
	return s.now.Load() + int64(s.interval) + timeout
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
		now := time.Now().UnixNano()
		s.now.Store(now)
		s.soon.Store(now + 2*int64(s.interval))
		go s.run()
	}
	s.mu.Unlock()
	if s.stamps() { // a new connection has READ_TIMEOUT for its first request, from now
		c.dl.auto = true
		c.dl.read.Store(s.at(s.read))
	}
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
	s.now.Store(now)
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

// expire sets the socket deadline of each side whose deadline passed by now. The forced
// bit goes up before the deadline is looked at (see connDeadlines).
func (c *countedConn) expire(now int64) {
	d := &c.dl
	d.mu.Lock()
	var sides uint8
	for _, side := range [...]uint8{sideRead, sideWrite} {
		dl := d.side(side)
		if at := dl.Load(); at == 0 || at > now || d.forced.Load()&uint32(side) != 0 {
			continue
		}
		d.forced.Or(uint32(side))
		if at := dl.Load(); at != 0 && at <= now { // still the deadline that passed
			sides |= side
		} else { // a stamp moved it meanwhile
			d.forced.And(^uint32(side))
		}
	}
	if sides != 0 {
		_ = c.setSocketDeadline(aLongTimeAgo, sides)
	}
	d.mu.Unlock()
}

// side is the deadline of one side.
func (d *connDeadlines) side(side uint8) *atomic.Int64 {
	if side == sideRead {
		return &d.read
	}
	return &d.write
}

// stamp sets one side's deadline for a phase that starts now. Speed: no lock and no clock
// read; an atomic store and load, plus a lift under the lock only after a sweep forced
// the side (the connection was slow enough to time out a phase and survived it, as an
// idle keep-alive connection does not).
func (c *countedConn) stamp(side uint8, at int64) {
	d := &c.dl
	dl := d.side(side)
	// Speed: the store is an XCHG (a full fence, ~25 ns here: 0.9 % of /hello in perf
	// with three per request); within a sweep interval a phase stamps the value it did last
	// time, so it is usually there already. A forced deadline equal to at is one that
	// passed: storing it again would change nothing.
	if dl.Load() == at {
		return
	}
	dl.Store(at)
	if d.forced.Load()&uint32(side) == 0 {
		return
	}
	d.mu.Lock()
	if d.forced.Load()&uint32(side) != 0 {
		if at := d.side(side).Load(); at == 0 || at > c.l.sweeper.now.Load() {
			d.forced.And(^uint32(side))
			_ = c.setSocketDeadline(time.Time{}, side)
		}
	}
	d.mu.Unlock()
}

// readStarts is called by Read before it reads: after a reply, the wait for the next
// request begins; within a request that is read on, its READ_TIMEOUT (see readDue).
func (c *countedConn) readStarts() {
	switch {
	case c.dl.phase == phaseWrite:
		c.dl.phase = phaseIdle
		c.stamp(sideRead, c.l.sweeper.at(c.l.sweeper.idle))
	case c.dl.readDue:
		c.dl.readDue = false
		c.stamp(sideRead, c.l.sweeper.at(c.l.sweeper.read))
	}
}

// readGot is called by Read when bytes arrived: the first bytes of a request start its
// read, whose deadline is stamped if it reads on (readDue). Until then the idle deadline
// stays on the number; if a sweep forces it meanwhile, that stamp lifts it.
func (c *countedConn) readGot() {
	if c.dl.phase == phaseIdle {
		c.dl.phase = phaseRead
		c.dl.readDue = true
	}
}

// writeStarts is called by Write: the first write of a reply starts its write timeout. A
// 100 Continue (interim) leaves the request's read going on.
func (c *countedConn) writeStarts() {
	switch {
	case c.dl.interim:
		c.dl.interim = false
	case c.dl.phase != phaseWrite:
		c.dl.phase = phaseWrite
		c.stamp(sideWrite, c.l.sweeper.at(c.l.sweeper.write))
	}
}

// stopStamps ends the phase stamps: the connection was hijacked (a WebSocket, a stream)
// and whoever took it sets its deadlines. The reply fasthttp still writes (101) gets its
// write deadline first, as fasthttp gave it one; fasthttp clears both before the hijack.
func (c *countedConn) stopStamps() {
	if c.dl.auto {
		c.writeStarts()
		c.dl.auto = false
	}
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
		d.read.Store(at)
	}
	if sides&sideWrite != 0 {
		d.write.Store(at)
	}
	if due {
		d.forced.Or(uint32(sides))
		return c.setSocketDeadline(t, sides)
	}
	if lift := uint8(d.forced.Load()) & sides; lift != 0 {
		d.forced.And(^uint32(lift))
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
