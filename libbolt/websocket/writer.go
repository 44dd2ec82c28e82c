package websocket

import (
	"runtime"
	"sync"
	"time"

	fws "github.com/fasthttp/websocket"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/sockio"
)

// Writing. No goroutine waits on an idle socket: a push to an idle outbox wakes the
// socket's writer (Outbox.SetWake), which is
//
//   - for a plain socket (a real TCP connection, no compression), one of the hub's few
//     writer goroutines (one per CPU, the socket's shard). It takes what is queued (up to
//     maxBatch), frames it into its own buffer and makes ONE non-blocking write(2); it
//     yields the CPU every yieldEvery sockets, for the readers. A broadcast's
//     frame was encoded once for all members (OutMsg.Frame) and is written as it is. What
//     the kernel does not take at once (a slow reader: its socket buffer is full) goes on
//     to a goroutine of the socket's own, which waits for it with the write deadline
//     while the shard writes the other sockets: one slow member never holds up the rest.
//   - for a compressing socket or one that is not a real socket (in-memory tests), a
//     goroutine started for as long as there is something to write (fasthttp/websocket
//     writes, compressing; a broadcast's compressed form is prepared once).
//
// Frames of one socket never interleave: every write holds Conn.wmu, which the shard
// only tries (TryLock) and hands over to the socket's goroutine when a write is cut.
// The exception is the close frame fasthttp/websocket itself writes on a protocol error
// (or a too-big message) from inside ReadMessage: it is not under wmu, and could land
// inside a frame cut by a full socket buffer, on a connection that ends with an error.

// maxHeader is the longest server frame header (no mask): 2 + 8 bytes.
const maxHeader = 10

// yieldEvery: a shard yields the CPU after this many sockets written in a row.
const yieldEvery = 64

// writeChunk: a blocking write gets a fresh write timeout for each this many bytes.
const writeChunk = 64 << 10

// maxBatch: a writer takes about this many bytes of a socket's queue at a time (the
// rest on its next round), so its buffer stays bounded whatever is queued.
const maxBatch = 256 << 10

// maxKeptBuf: a shard keeps a write buffer up to this size between rounds.
const maxKeptBuf = 256 << 10

// appendFrame appends a final, unmasked, uncompressed frame (server to client).
func appendFrame(dst []byte, op uint8, payload []byte) []byte {
	b0 := 0x80 | op
	n := len(payload)
	switch {
	case n < 126:
		dst = append(dst, b0, byte(n))
	case n <= 0xffff:
		dst = append(dst, b0, 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, b0, 127, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32),
			byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, payload...)
}

// closePayload is a close frame's body: the code and the reason, cut to fit the 125 bytes
// of a control frame.
func closePayload(code uint16, reason []byte) []byte {
	if len(reason) > 123 {
		reason = reason[:123]
	}
	return append([]byte{byte(code >> 8), byte(code)}, reason...)
}

// writers are the hub's writer goroutines for plain sockets, one shard each.
type writers struct {
	shards []*shard
	once   sync.Once
	stop   chan struct{}
}

func newWriters() *writers {
	n := runtime.GOMAXPROCS(0)
	w := &writers{shards: make([]*shard, n), stop: make(chan struct{})}
	for i := range w.shards {
		w.shards[i] = &shard{wake: make(chan struct{}, 1)}
	}
	return w
}

// start runs the shards (once, when the first socket opens).
func (w *writers) start() {
	w.once.Do(func() {
		for _, s := range w.shards {
			go s.run(w.stop)
		}
	})
}

// schedule queues c on its shard (by slot index, so a socket always has the same one).
func (w *writers) schedule(c *Conn) {
	s := w.shards[uint32(c.id)%uint32(len(w.shards))]
	s.mu.Lock()
	s.q = append(s.q, c)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// shard is one writer goroutine and the sockets waiting for it.
type shard struct {
	mu   sync.Mutex
	q    []*Conn
	next []*Conn // the other half of q's double buffer
	wake chan struct{}
	// The goroutine's own, reused every round:
	msgs []bridge.OutMsg
	buf  []byte
}

func (s *shard) run(stop <-chan struct{}) {
	for {
		select {
		case <-s.wake:
		case <-stop:
			return
		}
		for {
			s.mu.Lock()
			q := s.q
			s.q = s.next[:0]
			s.mu.Unlock()
			if len(q) == 0 {
				s.next = q
				break
			}
			for i, c := range q {
				s.flush(c)
				q[i] = nil
				if i%yieldEvery == yieldEvery-1 {
					// Fairness: with one CPU the socket readers wait for this goroutine;
					// a long round (a broadcast to thousands) lets them in now and then.
					runtime.Gosched()
				}
			}
			s.next = q
		}
	}
}

// flush writes what c's outbox holds with one non-blocking write; the rest, if the
// socket does not take it all, goes on to c's own goroutine.
func (s *shard) flush(c *Conn) {
	msgs := c.out.Take(s.msgs[:0], maxBatch)
	defer func() {
		clear(msgs)
		s.msgs = msgs[:0]
	}()
	if len(msgs) == 0 && !c.mustClose() {
		return // the outbox is idle again
	}
	if !c.wmu.TryLock() {
		// The reader is answering a close, or the connection is ending: wait for it on
		// a goroutine, not here.
		go c.drain(append([]bridge.OutMsg(nil), msgs...))
		return
	}
	if c.dead {
		c.wmu.Unlock()
		return
	}
	out, n, closing := c.frames(s.buf[:0], msgs)
	if cap(out) <= maxKeptBuf && (len(msgs) == 0 || !sameArray(out, msgs[0].Frame)) {
		s.buf = out[:0] // keep the grown buffer, but not a broadcast's shared frame
	}
	if len(out) == 0 {
		c.wmu.Unlock()
		return
	}
	wrote, err := sockio.WriteNow(c.raw, out)
	switch {
	case err != nil:
		c.wmu.Unlock()
		c.writeFailed()
	case wrote < len(out):
		// Still holding wmu: the socket's goroutine finishes the frame first.
		rest := append([]byte(nil), out[wrote:]...)
		go c.finish(rest, append([]bridge.OutMsg(nil), msgs[:n]...), closing)
	default:
		c.sent(msgs[:n], closing)
		c.wmu.Unlock()
		// More may have been queued meanwhile; the next round takes it (or finds the
		// outbox empty and leaves it idle).
		s.mu.Lock()
		s.q = append(s.q, c)
		s.mu.Unlock()
	}
}

func sameArray(a, b []byte) bool { return len(a) > 0 && len(b) > 0 && &a[0] == &b[0] }

// writeFailed ends a socket whose write failed: 1006, or the code it was failed with
// (Overflow stalls the write of a member that fell behind: 1013).
func (c *Conn) writeFailed() {
	code, _ := c.out.Failed()
	if code == 0 {
		code = 1006
	}
	c.end(code, false)
}

// mustClose: the socket was failed with a close code (the close frame may be unsent).
func (c *Conn) mustClose() bool {
	code, failed := c.out.Failed()
	return failed && code != 0
}

// frames appends the frames of msgs to buf, under wmu. It returns the bytes to write, how
// many of msgs they cover, and whether they end with a close frame. Nothing follows a
// close frame; a failed socket gets its close frame instead of its pending data. A
// single broadcast is returned as its shared frame, uncopied.
func (c *Conn) frames(buf []byte, msgs []bridge.OutMsg) ([]byte, int, bool) {
	if c.closeSent {
		return buf[:0], 0, false
	}
	if code, failed := c.out.Failed(); failed {
		if code == 0 {
			return buf[:0], 0, false
		}
		c.closeSent = true
		return appendFrame(buf, fws.CloseMessage, closePayload(code, nil)), 0, true
	}
	if len(msgs) == 1 && msgs[0].Frame != nil {
		return msgs[0].Frame, 1, false
	}
	for i, m := range msgs {
		switch m.Op {
		case bridge.OpClose:
			c.closeSent = true
			c.code.CompareAndSwap(0, uint32(m.Code))
			return appendFrame(buf, fws.CloseMessage, closePayload(m.Code, m.Data)), i + 1, true
		case bridge.OpPing:
			buf = appendFrame(buf, fws.PingMessage, nil)
		case bridge.OpPong:
			buf = appendFrame(buf, fws.PongMessage, m.Data)
		default:
			if m.Frame != nil {
				buf = append(buf, m.Frame...)
			} else {
				buf = appendFrame(buf, m.Op, m.Data)
			}
		}
	}
	return buf, len(msgs), false
}

// sent counts written messages and returns their credits to Python, under wmu.
func (c *Conn) sent(msgs []bridge.OutMsg, closing bool) {
	st := &c.hub.Stats
	for i := range msgs {
		m := &msgs[i]
		switch m.Op {
		case bridge.OpPing:
			st.Pings.Add(1)
		case bridge.OpClose, bridge.OpPong:
		default:
			st.MessagesOut.Add(1)
			st.BytesOut.Add(uint64(len(m.Data)))
			if m.Credited {
				c.b.SocketSent(c.slot)
			}
		}
	}
	if closing {
		c.afterClose()
	}
}

// finish runs on c's own goroutine, holding wmu (handed over by the shard): it writes the
// rest of a cut write, waiting as long as the write deadline allows, then keeps writing
// the outbox the same way until it is empty.
func (c *Conn) finish(rest []byte, msgs []bridge.OutMsg, closing bool) {
	err := c.writeBlocking(rest)
	if err == nil {
		c.sent(msgs, closing)
	}
	c.wmu.Unlock()
	if err != nil {
		c.writeFailed()
		return
	}
	c.drain(nil)
}

// drain writes the outbox on c's own goroutine, each write waiting for the socket, until
// the outbox is empty (and idle again). msgs, when not nil, were taken already.
func (c *Conn) drain(msgs []bridge.OutMsg) {
	for {
		if msgs == nil {
			msgs = c.out.Take(nil, maxBatch)
			if len(msgs) == 0 && !c.mustClose() {
				return
			}
		}
		c.wmu.Lock()
		if c.dead {
			c.wmu.Unlock()
			return
		}
		var err error
		if c.compressed {
			err = c.writeEach(msgs)
		} else if out, n, closing := c.frames(nil, msgs); len(out) > 0 {
			if err = c.writeBlocking(out); err == nil {
				c.sent(msgs[:n], closing)
			}
		}
		c.wmu.Unlock()
		if err != nil {
			c.writeFailed()
			return
		}
		if len(msgs) == 0 {
			return // only the close frame of a failed socket (or nothing) was left
		}
		msgs = nil
	}
}

// writeBlocking writes b, waiting for the socket: each writeChunk of it must leave within
// the write timeout (b may hold many queued frames: the timeout is for a peer that takes
// nothing, not for the whole backlog).
func (c *Conn) writeBlocking(b []byte) error {
	for len(b) > 0 {
		n := min(len(b), writeChunk)
		if err := c.writeBy(b[:n], time.Now().Add(c.hub.cfg.WriteTimeout)); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// writeBy writes b, waiting for the socket until deadline.
func (c *Conn) writeBy(b []byte, deadline time.Time) error {
	nc := c.ws.NetConn()
	if err := nc.SetWriteDeadline(deadline); err != nil {
		return err
	}
	if _, err := nc.Write(b); err != nil {
		return err
	}
	// The writers' non-blocking writes honour the deadline too: left set, it would fail
	// the socket's first write after it passed.
	return nc.SetWriteDeadline(time.Time{})
}

// writeEach writes msgs through fasthttp/websocket, which compresses data messages
// (permessage-deflate), under wmu.
func (c *Conn) writeEach(msgs []bridge.OutMsg) error {
	if c.closeSent {
		return nil
	}
	deadline := time.Now().Add(c.hub.cfg.WriteTimeout)
	if code, failed := c.out.Failed(); failed {
		if code == 0 {
			return nil
		}
		c.closeSent = true
		err := c.ws.WriteControl(fws.CloseMessage, closePayload(code, nil), deadline)
		c.afterClose()
		return err
	}
	_ = c.ws.SetWriteDeadline(deadline)
	for i := range msgs {
		m := &msgs[i]
		var err error
		switch m.Op {
		case bridge.OpClose:
			c.closeSent = true
			c.code.CompareAndSwap(0, uint32(m.Code))
			err = c.ws.WriteControl(fws.CloseMessage, closePayload(m.Code, m.Data), deadline)
			c.afterClose()
			return err
		case bridge.OpPing:
			err = c.ws.WriteControl(fws.PingMessage, nil, deadline)
		case bridge.OpPong:
			err = c.ws.WriteControl(fws.PongMessage, m.Data, deadline)
		default:
			if pm, ok := m.Prepared.(*fws.PreparedMessage); ok {
				err = c.ws.WritePreparedMessage(pm)
			} else {
				err = c.ws.WriteMessage(int(m.Op), m.Data)
			}
		}
		if err != nil {
			return err
		}
		c.sent(msgs[i:i+1], false)
	}
	return nil
}
