package bridge

import (
	"sync"
)

// A WebSocket connection keeps its slot for as long as it is open (the slot's socket
// state): its id routes Python's send, close and group records to it, and the generation
// check refuses records meant for a connection that has ended. The connection itself
// (frames, heartbeat, the socket) is package websocket's; this file holds what the bridge
// needs to carry messages both ways under flow control: the Outbox and the queueing of
// pre-encoded records.

// Outbox opcodes that are not data messages (Go-internal, never on the wire format).
const (
	OpClose uint8 = 8  // a close frame: Code and Data (the reason)
	OpPing  uint8 = 9  // a heartbeat ping
	OpPong  uint8 = 10 // the answer to the peer's ping: Data
)

// MaxSharedBacklog bounds the broadcast messages (which no credit limits) queued for one
// socket; a member that falls this far behind is closed with 1013 (try again later) rather
// than buffered without bound.
const MaxSharedBacklog = 256

// OutMsg is one message for a socket's writer.
type OutMsg struct {
	Op   uint8
	Code uint16 // OpClose
	Data []byte // may be shared by every member of a broadcast: never modified
	// Frame, when set, is Data already framed as one unmasked, uncompressed server frame
	// (a broadcast's, encoded once for every member); shared like Data.
	Frame []byte
	// Prepared is a broadcast's form for compressing sockets (package websocket's
	// *fws.PreparedMessage: compressed once for all of them); nil otherwise.
	Prepared any
	// Credited messages came from Python's send credits; writing one returns the credit.
	Credited bool
}

// Outbox is the queue of messages for one socket's writer, and the socket's inbound
// credits. Push never blocks (it runs on Python's thread inside bolt_respond). No
// goroutine waits on an idle outbox: the push that finds it idle calls the wake function
// (package websocket schedules the socket on a writer), and the writer Takes until it
// finds the queue empty, which makes the outbox idle again.
type Outbox struct {
	mu       sync.Mutex
	q        []OutMsg
	credited int  // credited messages queued (at most SocketWindow)
	shared   int  // other data messages queued (at most MaxSharedBacklog)
	busy     bool // a writer was woken and has not yet found the queue empty
	wake     func()
	stall    func() // makes a write in progress fail (Overflow)
	stop     chan struct{}
	failed   bool
	failCode uint16
	// In holds the inbound credits: the reader takes one before reading each message and
	// Python's KindSocketAck records put them back.
	In chan struct{}
}

// NewOutbox returns an outbox with a full inbound window.
func NewOutbox() *Outbox {
	o := &Outbox{stop: make(chan struct{}), In: make(chan struct{}, SocketWindow)}
	for range SocketWindow {
		o.In <- struct{}{}
	}
	return o
}

// SetWake sets the function that schedules the socket's writer, and the one that makes a
// write in progress fail; messages queued before (Python may send right after its
// accept, before the connection runs) wake the writer at once.
func (o *Outbox) SetWake(wake, stall func()) {
	o.mu.Lock()
	o.wake, o.stall = wake, stall
	now := !o.busy && (len(o.q) > 0 || o.failed)
	o.busy = o.busy || now
	o.mu.Unlock()
	if now {
		wake()
	}
}

// Push queues m for the writer. It returns false when the socket's bound is exceeded:
// more credited messages than SocketWindow (Python broke the contract) or a shared
// backlog over MaxSharedBacklog (broadcasts, and pongs: a peer that pings faster than it
// reads is bounded too). Close and ping are always queued.
func (o *Outbox) Push(m OutMsg) bool {
	o.mu.Lock()
	switch {
	case m.Op == OpClose || m.Op == OpPing:
	case m.Credited:
		if o.credited >= SocketWindow {
			o.mu.Unlock()
			return false
		}
		o.credited++
	default:
		if o.shared >= MaxSharedBacklog {
			o.mu.Unlock()
			return false
		}
		o.shared++
	}
	o.q = append(o.q, m)
	wake := o.wakeLocked()
	o.mu.Unlock()
	if wake != nil {
		wake()
	}
	return true
}

// wakeLocked marks the outbox busy and returns the wake function when no writer was
// woken yet (nil otherwise).
func (o *Outbox) wakeLocked() func() {
	if o.busy || o.wake == nil {
		return nil
	}
	o.busy = true
	return o.wake
}

// Take appends queued messages to dst and returns it (the writer reuses dst between
// calls, so the queue costs no allocation per message): all of them, or as many as make
// maxBytes of payload (at least one), so that a writer's batch stays bounded; the rest
// stays queued for its next Take. An empty result makes the outbox idle: the next Push or
// Fail wakes a writer again. After Fail, Take still returns what is queued; the writer
// asks Failed.
func (o *Outbox) Take(dst []OutMsg, maxBytes int) []OutMsg {
	o.mu.Lock()
	if len(o.q) == 0 {
		o.busy = false
		o.mu.Unlock()
		return dst
	}
	n, size := 0, 0
	for n < len(o.q) && (n == 0 || size < maxBytes) {
		m := &o.q[n]
		size += len(m.Data)
		switch {
		case m.Op == OpClose || m.Op == OpPing:
		case m.Credited:
			o.credited--
		default:
			o.shared--
		}
		n++
	}
	dst = append(dst, o.q[:n]...)
	left := copy(o.q, o.q[n:])
	clear(o.q[left:])
	o.q = o.q[:left]
	o.mu.Unlock()
	return dst
}

// Fail stops the socket: the writer sends a close frame with code (when not 0) and ends
// the connection. The first call wins; it wakes an idle writer.
func (o *Outbox) Fail(code uint16) { o.fail(code, false) }

// Overflow fails a socket that fell MaxSharedBacklog messages behind (or a peer that pings
// faster than it reads) with 1013, try again later. A writer busy with it is most likely
// waiting for the peer's full socket buffer: its write is made to fail, so the member's
// memory is freed now rather than after the write timeout.
func (o *Outbox) Overflow() { o.fail(1013, true) }

func (o *Outbox) fail(code uint16, stallBusy bool) {
	o.mu.Lock()
	if o.failed {
		o.mu.Unlock()
		return
	}
	o.failed, o.failCode = true, code
	wasBusy := o.busy
	wake := o.wakeLocked()
	stall := o.stall
	o.mu.Unlock()
	close(o.stop)
	switch {
	case wake != nil:
		wake()
	case stallBusy && wasBusy && stall != nil:
		stall()
	}
}

// Failed reports whether Fail was called, and its code.
func (o *Outbox) Failed() (code uint16, failed bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.failCode, o.failed
}

// FailCode is the code given to the first Fail.
func (o *Outbox) FailCode() uint16 {
	code, _ := o.Failed()
	return code
}

// Stopped is closed by Fail.
func (o *Outbox) Stopped() <-chan struct{} { return o.stop }

// Ack returns n inbound credits (a KindSocketAck); credits beyond the window are dropped.
func (o *Outbox) Ack(n int) {
	for range min(n, SocketWindow) {
		select {
		case o.In <- struct{}{}:
		default:
			return
		}
	}
}

// Groups is the group hub (package websocket) as the bridge sees it. Join and Leave run
// on Python's thread inside bolt_respond and must not block; Broadcast copies data, which
// aliases Python's batch buffer.
type Groups interface {
	Join(group string, id uint64, o *Outbox)
	Leave(group string, id uint64)
	Broadcast(group string, op uint8, data []byte)
}

// SetRecordKind changes the kind of an encoded request record (a WebSocket route's
// request record becomes KindSocketOpen).
func SetRecordKind(rec []byte, kind uint8) { rec[reqOffKind] = kind }

// PushSocket queues a pre-encoded record (AppendSocketEvent) for socket s with id; it is
// dropped when the socket is no longer open under that id.
func (b *Bridge) PushSocket(s *Slot, id uint64, rec []byte) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s.ID() != id || s.state != slotSocket {
		return false
	}
	b.push(entry{id: id, kind: KindSocketMessage, rec: rec})
	return true
}

// SocketSent returns one send credit to Python after the writer wrote a credited message;
// credits coalesce into one queued KindCredit record, as a stream's do.
func (b *Bridge) SocketSent(s *Slot) { b.credit(s) }

// EndSocket tells Python that socket s has closed with code and reason, refuses its late
// records from now on and releases the slot. Call it once, when the connection is done.
func (b *Bridge) EndSocket(s *Slot, code uint16, reason string) {
	b.mu.Lock()
	if s.state == slotSocket {
		b.push(entry{id: s.ID(), kind: KindSocketClosed,
			rec: AppendSocketEvent(nil, s.ID(), KindSocketClosed, code, []byte(reason))})
		s.state = slotAbandoned
	}
	o := s.Socket
	b.mu.Unlock()
	if o != nil {
		o.Fail(0)
	}
	b.Release(s)
}

// deliverSocket handles a Python -> Go socket record (any kind but KindSocketAccept).
func (b *Bridge) deliverSocket(r *Response) bool {
	if r.Kind == KindSocketBroadcast {
		if b.Groups == nil {
			return false
		}
		b.Groups.Broadcast(string(r.Headers), r.ContentType, r.Body)
		return true
	}
	idx := uint32(r.ID)
	b.mu.Lock()
	if int(idx) >= len(b.slots) {
		b.mu.Unlock()
		return false
	}
	s := b.slots[idx]
	if s.ID() != r.ID || s.state != slotSocket {
		b.mu.Unlock()
		return false
	}
	o := s.Socket
	b.mu.Unlock()
	switch r.Kind {
	case KindSocketSend:
		if r.ContentType != SocketText && r.ContentType != SocketBinary {
			o.Fail(1011)
			return false
		}
		// The batch buffer is Python's and reused after the call: copy out.
		if !o.Push(OutMsg{Op: r.ContentType, Data: append([]byte(nil), r.Body...), Credited: true}) {
			o.Fail(1011) // more than SocketWindow in flight: Python broke the contract
			return false
		}
	case KindSocketClose:
		o.Push(OutMsg{Op: OpClose, Code: r.Status, Data: append([]byte(nil), r.Body...)})
	case KindSocketAck:
		o.Ack(int(r.Status))
	case KindSocketJoin, KindSocketLeave:
		if b.Groups == nil {
			return false
		}
		if r.Kind == KindSocketJoin {
			b.Groups.Join(string(r.Body), r.ID, o)
		} else {
			b.Groups.Leave(string(r.Body), r.ID)
		}
	default:
		return false
	}
	return true
}
