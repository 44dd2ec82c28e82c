package bridge

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// SweepInterval is how often waiting requests are checked against their deadline, so a
// handler timeout fires up to this much late.
const SweepInterval = 10 * time.Millisecond

// maxRetained is the largest buffer a free slot keeps for reuse.
const maxRetained = 64 << 10

// ErrFull is returned by Acquire when every request slot is taken.
var ErrFull = errors.New("bridge: too many requests in flight")

// ErrClosed is returned by Acquire once AbandonAll has run.
var ErrClosed = errors.New("bridge: shutting down")

// Completer is told the outcome of a request whose goroutine does not wait for it in
// Wait: an event loop that serves many connections (the loop front end, libbolt/server)
// queues the request with EnqueueFor and goes on. Complete runs on the goroutine that
// settled the request (Python's thread in Respond, the sweeper on a timeout or a client
// gone, AbandonAll on a stop), once per request, and must not block: it hands the slot
// back to its loop. answered is what Wait would have returned.
type Completer interface {
	Complete(s *Slot, answered bool)
}

// Waker tells the Python loop that the queue went from empty to non-empty.
type Waker interface {
	Wake()
	Reset()
}

type slotState uint8

const (
	slotFree      slotState = iota
	slotWaiting             // queued or being handled by Python
	slotAnswering           // Respond claimed it and is copying the reply in
	slotStreaming           // a streamed reply started; chunks go to Slot.Stream
	slotAbandoned           // timed out or shut down; a late reply is refused
	slotSocket              // an accepted WebSocket connection (socket.go)
)

// Reply is a response copied out of Python's batch buffer into memory owned by the slot.
type Reply struct {
	Kind        uint8 // KindResponse, KindFile or KindStreamStart
	Status      uint16
	ContentType uint8
	Headers     []byte
	Body        []byte
}

// Slot is one in-flight request. Only the goroutine that acquired it reads Reply, and only
// after Wait returned true; Req is written by that goroutine before Submit.
type Slot struct {
	index uint32
	gen   uint32
	state slotState
	// done carries true when Python answered, false when the request was abandoned.
	// Sending the outcome (instead of reading state after the wake-up) keeps Wait free of
	// the lock: a streamed slot's state changes again after it was answered.
	done chan bool
	// owner, when set (EnqueueFor), is told the outcome instead of done.
	owner Completer
	// credits counts chunks Go took off a streamed reply's queue since the last credit
	// record Python polled (under Bridge.mu).
	credits uint16
	// Stream is the body of a streamed reply (set when KindStreamStart arrives).
	Stream *Stream
	// Socket is the outbox of an accepted WebSocket connection (set when KindSocketAccept
	// arrives; socket.go).
	Socket *Outbox
	// deadline is when the request is abandoned, in nanoseconds on the bridge's monotonic
	// clock (0: none yet). Written by the owning goroutine, read by the sweeper.
	deadline atomic.Int64
	// probeAt is when the sweeper next checks whether the client is still connected
	// (bridge clock, nanoseconds; 0: never). Conn is read only after probeAt was seen
	// non-zero: the atomic store in Wait publishes it to the sweeper without a lock.
	probeAt atomic.Int64
	// Conn is the request's connection, for the disconnect probe (nil: never probed).
	Conn net.Conn
	// ClientGone is set when the request was abandoned because the client went away.
	ClientGone bool
	Req        []byte
	// Body is a body that travels apart from Req (RecordBodyApart), read by ReadBody. It
	// aliases the request (fasthttp's buffer): the owning goroutine keeps it untouched
	// until Release.
	Body  []byte
	Reply Reply
	// polled and answered are when Python took the request (its Poll) and when its reply
	// came back (its Respond), on the bridge clock (0: not yet): HandlerTime. Written under
	// Bridge.mu, read by the owning goroutine once Wait returned.
	polled, answered int64
}

// HandlerTime is how long Python had the request: from the poll that took it to the
// respond that brought its reply (0 when it was not answered). Speed: one clock read per
// Poll and per Respond call, shared by the batch, instead of two per request; both ends
// are batch times, which is the latency Python's batching gives the request anyway.
func (s *Slot) HandlerTime() time.Duration {
	if s.polled == 0 || s.answered < s.polled {
		return 0
	}
	return time.Duration(s.answered - s.polled)
}

// ID returns the request id: slot index in the low 32 bits, generation in the high 32,
// so an answer meant for an earlier use of the same slot never matches.
func (s *Slot) ID() uint64 { return uint64(s.gen)<<32 | uint64(s.index) }

type entry struct {
	id   uint64
	kind uint8
	rec  []byte // a pre-encoded record (socket events); nil for the others
}

// Bridge is the pending table and the Go->Python queue, under one mutex.
type Bridge struct {
	mu       sync.Mutex
	slots    []*Slot
	free     []uint32
	queue    []entry
	waker    Waker
	maxSlots int
	closed   bool // set by AbandonAll: Python may close the eventfd at any time now
	epoch    time.Time
	sweeping atomic.Bool // a sweep goroutine is running
	// clock is the coarse clock (bridge time, nanoseconds) that Wait takes deadlines from
	// while a sweep runs: stored by every sweep, and before a sweep is started.
	clock atomic.Int64
	// ConnGone, when set, reports whether a connection's peer has closed it; the sweeper
	// asks it about requests that have waited for Python longer than ProbeAfter.
	ConnGone func(net.Conn) bool
	// Groups receives the socket group records (join, leave, broadcast); nil: refused.
	Groups Groups
	stats  Stats
	// directBuf is the framing buffer of direct stream writes (stream_direct.go), under
	// directMu (only Python's thread writes directly: never contended in practice).
	directMu  sync.Mutex
	directBuf []byte
}

// ProbeAfter is how long a request waits for Python before the sweeper starts checking
// (then every ProbeAfter) whether its client is still there. Fast handlers never pay for
// the check; a slow one is cancelled within about ProbeAfter of its client leaving.
const ProbeAfter = 100 * time.Millisecond

// New returns a bridge that wakes Python through w and allows maxSlots requests in flight.
func New(w Waker, maxSlots int) *Bridge {
	return &Bridge{waker: w, maxSlots: maxSlots, epoch: time.Now()}
}

func (b *Bridge) now() int64 { return int64(time.Since(b.epoch)) }

// Acquire reserves a slot for a new request.
func (b *Bridge) Acquire() (*Slot, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.acquire()
}

// acquire is Acquire under b.mu.
func (b *Bridge) acquire() (*Slot, error) {
	if b.closed {
		return nil, ErrClosed
	}
	var s *Slot
	if n := len(b.free); n > 0 {
		s = b.slots[b.free[n-1]]
		b.free = b.free[:n-1]
	} else {
		if len(b.slots) >= b.maxSlots {
			return nil, ErrFull
		}
		s = &Slot{index: uint32(len(b.slots)), done: make(chan bool, 1)}
		b.slots = append(b.slots, s)
	}
	s.gen++
	if s.gen == 0 { // wrapped: 0 is never a valid generation
		s.gen = 1
	}
	s.state = slotWaiting
	return s, nil
}

// Enqueue acquires a slot for a request whose record is encoded already (rec, its id field
// left for Enqueue to fill) and queues it, under one lock: Acquire and Submit in one. rec
// becomes the slot's record; the slot's previous record buffer is returned for the caller
// to encode the next request into (rec itself when the slot could not be had). body is a
// body that travels apart from the record (RecordBodyApart; nil: none), conn the request's
// connection for the disconnect probe (nil: never probed).
//
// Speed: one lock per request less than Acquire then Submit, and no window between them
// in which the loop thread's Poll or Respond can find the lock taken.
func (b *Bridge) Enqueue(rec, body []byte, conn net.Conn) (*Slot, []byte, error) {
	return b.EnqueueFor(nil, rec, body, conn)
}

// EnqueueFor is Enqueue for a request whose outcome goes to owner (Completer) instead of
// a goroutine parked in Wait; nil owner: Enqueue. The caller arms the deadline (Arm).
func (b *Bridge) EnqueueFor(owner Completer, rec, body []byte, conn net.Conn) (*Slot, []byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, err := b.acquire()
	if err != nil {
		return nil, rec, err
	}
	binary.LittleEndian.PutUint64(rec, s.ID())
	prev := s.Req
	s.Req, s.Body, s.Conn, s.owner = rec, body, conn, owner
	b.push(entry{id: s.ID(), kind: KindRequest})
	return s, prev[:0], nil
}

// finish tells the slot's requester the outcome: its owner, or its goroutine in Wait.
func (s *Slot) finish(answered bool) {
	if s.owner != nil {
		s.owner.Complete(s, answered)
		return
	}
	s.done <- answered
}

// Submit queues the slot's request record for Python.
func (b *Bridge) Submit(s *Slot) {
	b.mu.Lock()
	b.push(entry{id: s.ID(), kind: KindRequest})
	b.mu.Unlock()
}

// push appends to the queue and wakes Python on the empty -> non-empty edge. Callers hold
// b.mu: waking and resetting under the same lock is what keeps wake-ups from being lost.
func (b *Bridge) push(e entry) {
	if b.closed {
		// Every request was abandoned and Python stops polling: nothing queued now would
		// be read, and a wake-up could write to a descriptor Python closed and reused.
		return
	}
	if len(b.queue) == 0 {
		b.waker.Wake()
	}
	b.queue = append(b.queue, e)
}

// Wait blocks until Python answers or timeout passes. It returns false when the request
// was abandoned (timeout or shutdown); Python is then told to cancel it.
//
// Speed: no timer and no select per request. The deadline is a number that one sweep
// goroutine per bridge checks every SweepInterval while requests are waiting; measured
// 5-15% less server CPU per request on /hello than a per-request timer (bench/RESULTS.md).
//
// Speed: no clock read per request under load either. While a sweep runs, the clock it
// stored at its last tick (at most SweepInterval old) plus one SweepInterval stands for
// now, so a deadline is never earlier than the timeout, and fires up to two intervals late
// instead of one. Only a Wait that finds no sweep running reads the clock, and stores it
// before it starts one, so a Wait that sees the sweep running sees that clock too.
func (b *Bridge) Wait(s *Slot, timeout time.Duration) bool {
	b.Arm(s, timeout)
	return <-s.done
}

// Arm gives a queued request its deadline (and its disconnect probe) without waiting:
// Wait's first half, which a Completer's loop calls after EnqueueFor.
func (b *Bridge) Arm(s *Slot, timeout time.Duration) {
	if b.sweeping.Load() {
		b.arm(s, b.clock.Load()+int64(SweepInterval), timeout)
		if b.sweeping.Load() { // the sweep sees the deadline (see expire)
			return
		}
	}
	// No sweep runs (or it just ended): read the clock and start one with it.
	now := b.now()
	b.arm(s, now, timeout)
	b.clock.Store(now)
	if !b.sweeping.Load() && b.sweeping.CompareAndSwap(false, true) {
		go b.sweep()
	}
}

// arm sets a waiting slot's deadline and first disconnect probe from now.
func (b *Bridge) arm(s *Slot, now int64, timeout time.Duration) {
	if s.Conn != nil && b.ConnGone != nil {
		s.probeAt.Store(now + int64(ProbeAfter))
	}
	s.deadline.Store(now + int64(timeout))
}

// sweep abandons requests past their deadline and exits once none is waiting (Acquire
// marks a slot waiting under b.mu, and Wait starts a new sweep when needed).
func (b *Bridge) sweep() {
	tick := time.NewTicker(SweepInterval)
	defer tick.Stop()
	for range tick.C {
		if !b.expire() {
			return
		}
	}
}

// expire abandons every waiting request whose deadline passed, queueing a cancel record
// for each, and reports whether any request is still waiting with a deadline. A slot not
// yet in Wait has none; its Wait stores the deadline before it checks b.sweeping, and
// atomics are sequentially consistent, so either this sweep sees the deadline or that Wait
// sees sweeping == false and starts a new sweep.
func (b *Bridge) expire() bool {
	now := b.now()
	b.clock.Store(now)
	b.mu.Lock()
	var expired []*Slot
	var probes []probe
	waiting := false
	for _, s := range b.slots {
		if s.state != slotWaiting {
			continue
		}
		switch d := s.deadline.Load(); {
		case d == 0:
		case d <= now:
			s.state = slotAbandoned
			b.push(entry{id: s.ID(), kind: KindCancel})
			expired = append(expired, s)
		default:
			waiting = true
			if p := s.probeAt.Load(); p != 0 && p <= now && s.Conn != nil {
				s.probeAt.Store(now + int64(ProbeAfter))
				probes = append(probes, probe{s, s.ID(), s.Conn})
			}
		}
	}
	if !waiting {
		b.sweeping.Store(false)
	}
	b.mu.Unlock()
	for _, s := range expired {
		s.finish(false)
	}
	if len(probes) > 0 {
		b.probeClients(probes)
	}
	return waiting
}

type probe struct {
	s    *Slot
	id   uint64
	conn net.Conn
}

// probeClients abandons the requests whose client closed the connection while the
// handler was still running: Python is told to cancel them, as on a timeout.
func (b *Bridge) probeClients(probes []probe) {
	for _, p := range probes {
		if !b.ConnGone(p.conn) {
			continue
		}
		b.mu.Lock()
		gone := p.s.ID() == p.id && p.s.state == slotWaiting
		if gone {
			p.s.state = slotAbandoned
			p.s.ClientGone = true
			b.push(entry{id: p.id, kind: KindCancel})
		}
		b.mu.Unlock()
		if gone {
			p.s.finish(false)
		}
	}
}

// Release returns the slot to the free list once its goroutine is done with it.
func (b *Bridge) Release(s *Slot) {
	s.deadline.Store(0)
	s.Stream = nil
	s.Socket = nil
	s.ClientGone = false
	s.Body = nil
	// A slot keeps its buffers for the next request, but not a large body's: otherwise
	// every slot that once carried a big upload would hold on to it.
	if cap(s.Req) > maxRetained {
		s.Req = nil
	}
	if cap(s.Reply.Body) > maxRetained {
		s.Reply.Body = nil
	}
	b.mu.Lock()
	s.state = slotFree
	s.polled, s.answered = 0, 0
	s.credits = 0
	s.probeAt.Store(0)
	s.Conn = nil
	s.owner = nil
	b.free = append(b.free, s.index)
	b.mu.Unlock()
}

// AbandonAll fails every request still waiting for Python (used when a graceful stop runs
// out of time), refuses new ones from then on, and returns how many there were.
func (b *Bridge) AbandonAll() int {
	b.mu.Lock()
	b.closed = true
	var woken []*Slot
	for _, s := range b.slots {
		switch s.state {
		case slotWaiting:
			s.state = slotAbandoned
			woken = append(woken, s)
		case slotStreaming:
			// The stream's reader fails, fasthttp closes the connection and calls Close,
			// which releases the slot.
			s.state = slotAbandoned
			s.Stream.abort()
		}
		// Open sockets (slotSocket) are left to their hub, which closes them with 1012
		// before this runs and releases their slots when their connections end.
	}
	b.mu.Unlock()
	for _, s := range woken {
		s.finish(false)
	}
	return len(woken)
}

// InFlight returns the number of requests that hold a slot.
func (b *Bridge) InFlight() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.slots) - len(b.free)
}

// Poll copies as many queued records as fit into dst. It returns the bytes written, or,
// when the first record alone is larger than dst, -(its size) so the caller can grow the
// buffer and call again. Records of requests that were abandoned meanwhile are dropped.
func (b *Bridge) Poll(dst []byte) int {
	now := b.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	n, taken, delivered := 0, 0, 0
	for _, e := range b.queue {
		var size int
		var s *Slot
		if e.rec != nil {
			size = len(e.rec)
			if n+size > len(dst) {
				if n == 0 {
					return -size
				}
				break
			}
			copy(dst[n:], e.rec)
			n += size
			taken++
			delivered++
			continue
		}
		switch e.kind {
		case KindRequest:
			s = b.slots[uint32(e.id)]
			if s.ID() != e.id || s.state != slotWaiting {
				taken++
				continue
			}
			size = len(s.Req)
		case KindCredit:
			s = b.slots[uint32(e.id)]
			if s.ID() != e.id || (s.state != slotStreaming && s.state != slotSocket) {
				taken++
				continue
			}
			size = RequestHeaderSize
		default:
			size = RequestHeaderSize
		}
		if n+size > len(dst) {
			if n == 0 { // records skipped above stay queued and are dropped next time
				return -size
			}
			break
		}
		switch e.kind {
		case KindRequest:
			copy(dst[n:], s.Req)
			s.polled = now
		case KindCredit:
			AppendCredit(dst[n:n], e.id, s.credits)
			s.credits = 0
		default:
			AppendCancel(dst[n:n], e.id)
		}
		n += size
		taken++
		delivered++
	}
	if delivered > 0 {
		b.stats.observe(delivered)
	}
	rest := copy(b.queue, b.queue[taken:])
	clear(b.queue[rest:])
	b.queue = b.queue[:rest]
	if rest == 0 {
		b.waker.Reset()
	}
	return n
}

// ReadBody copies the body that request id's record left out (RecordBodyApart) into dst.
// It returns the body's size, or -1 when dst is smaller or the request is no longer
// waiting for Python (abandoned: its cancel record is queued, Python drops the request).
func (b *Bridge) ReadBody(id uint64, dst []byte) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	idx := uint32(id)
	if int(idx) >= len(b.slots) {
		return -1
	}
	// A waiting slot's goroutine is parked in Wait (Python has not answered, and nothing
	// abandons it while b.mu is held), so Body's buffer cannot be reused during the copy.
	s := b.slots[idx]
	if s.ID() != id || s.state != slotWaiting || len(dst) < len(s.Body) {
		return -1
	}
	return copy(dst, s.Body)
}

// Respond delivers a batch of response records. It returns how many were refused because
// their request was no longer waiting (late, duplicate or unknown id), or an error if the
// batch is malformed; records before a malformed one are still delivered.
//
// Speed: the records of a run (up to respondRun) are claimed under one lock, then their
// replies copied out and their goroutines woken after it is released: one lock per run
// instead of one per reply. Socket records are delivered on their own, in batch order,
// after the run before them was woken; a stream chunk written directly ends its run and is
// written once the lock is released.
func (b *Bridge) Respond(batch []byte) (refused int, err error) {
	var run [respondRun]claimed
	var direct *Stream // a chunk put reserved for a direct write (stream_direct.go)
	var directBody []byte
	now := b.now()
	for len(batch) > 0 && err == nil {
		n := 0
		b.mu.Lock()
		for len(batch) > 0 && n < respondRun {
			r, size, derr := DecodeResponse(batch)
			if derr != nil {
				err = derr
				break
			}
			if r.Kind >= KindSocketSend {
				if n > 0 {
					break // wake the run before it first
				}
				b.mu.Unlock()
				if !b.deliverSocket(&r) {
					refused++
				}
				b.mu.Lock()
				batch = batch[size:]
				continue
			}
			batch = batch[size:]
			s, st, ok := b.claim(&r, now)
			switch {
			case !ok:
				refused++
			case st != nil:
				direct, directBody = st, r.Body
			case s != nil:
				run[n] = claimed{s, r}
				n++
			}
			if direct != nil {
				break // the direct write goes out before any later record of the batch is claimed
			}
		}
		b.mu.Unlock()
		for i := range run[:n] {
			run[i].s.answer(&run[i].r)
			run[i] = claimed{} // no reference to Python's buffer survives the call
		}
		if direct != nil {
			// Outside b.mu (no lock across a system call), and before the next chunk of the
			// same stream is put: writeDirect queues what the socket refused in the place put
			// reserved (stream_direct.go).
			direct.writeDirect(directBody)
			direct, directBody = nil, nil
		}
	}
	return refused, err
}

// respondRun is how many replies Respond claims under one lock: enough to share the lock
// across a typical batch (33-49 records per poll on /hello), few enough to keep the lock
// short for the goroutines that wait for it.
const respondRun = 64

// claimed is a reply whose slot was claimed, waiting to be copied into it.
type claimed struct {
	s *Slot
	r Response
}

// claim applies r, which came back at now, to its slot under b.mu. It returns the slot whose goroutine must get the
// reply (answer, after the lock), nil when r was a stream chunk or end (queued on the
// stream here), the stream when r is a chunk put reserved for a direct write (writeDirect,
// after the lock), and false when r was refused.
func (b *Bridge) claim(r *Response, now int64) (*Slot, *Stream, bool) {
	idx := uint32(r.ID)
	if int(idx) >= len(b.slots) {
		return nil, nil, false
	}
	s := b.slots[idx]
	if r.Kind == KindChunk || r.Kind == KindStreamEnd {
		if s.ID() != r.ID || s.state != slotStreaming {
			return nil, nil, false
		}
		ok, direct := s.Stream.put(r)
		if direct {
			return nil, s.Stream, ok
		}
		return nil, nil, ok
	}
	if s.ID() != r.ID || s.state != slotWaiting {
		return nil, nil, false
	}
	s.state = slotAnswering
	s.answered = now
	switch r.Kind {
	case KindStreamStart:
		s.state = slotStreaming
		s.Stream = newStream(b, s)
	case KindSocketAccept:
		s.state = slotSocket
		s.Socket = NewOutbox()
	}
	return s, nil, true
}

// answer copies a claimed reply into the slot and wakes its goroutine.
func (s *Slot) answer(r *Response) {
	// The batch buffer belongs to Python and is reused after this call: copy out.
	s.Reply.Kind = r.Kind
	s.Reply.Status = r.Status
	s.Reply.ContentType = r.ContentType
	s.Reply.Headers = append(s.Reply.Headers[:0], r.Headers...)
	s.Reply.Body = append(s.Reply.Body[:0], r.Body...)
	s.finish(true)
}
