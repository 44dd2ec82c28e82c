package websocket

import (
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	fws "github.com/fasthttp/websocket"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
)

// closeWait is how long a socket that sent a close frame waits for the peer's.
const closeWait = 2 * time.Second

// Transport says how Serve may write a socket.
type Transport struct {
	// Raw is the TCP socket under the connection: the hub's writers write it without
	// blocking (writer.go). Nil (a connection that is not a real socket): every write is
	// made on a goroutine of the socket's own.
	Raw syscall.RawConn
	// Compressed: permessage-deflate was negotiated in the handshake; messages are
	// compressed by fasthttp/websocket on the socket's own goroutine.
	Compressed bool
}

// Conn is one open socket: its reader runs on the connection's goroutine (Serve); it has
// no writer goroutine of its own while it has nothing to write (writer.go).
type Conn struct {
	hub        *Hub
	b          *bridge.Bridge
	slot       *bridge.Slot
	id         uint64
	ws         *fws.Conn
	out        *bridge.Outbox
	raw        syscall.RawConn
	compressed bool
	// wmu is held while a frame is written: frames never interleave. Under it:
	wmu       sync.Mutex
	closeSent bool // a close frame went out: nothing more is written
	dead      bool // the connection is over: nothing more is written or counted
	// lastSeen and lastPing are nanoseconds on the hub's clock.
	lastSeen atomic.Int64
	lastPing atomic.Int64
	paused   atomic.Bool // the reader waits for inbound credits
	// code is the close code Go decided on (shutdown, timeout, a limit); 0: none yet.
	code    atomic.Uint32
	endOnce sync.Once
	done    chan struct{}
	// netMu and netOver keep deadlines off the connection once Serve returned: its caller
	// then closes it, and fasthttp recycles a hijacked connection's wrapper (a late kill
	// from the hub's clock raced with that and could dereference a nil conn).
	netMu   sync.Mutex
	netOver bool
}

// end closes the socket from Go's side with code; with frame, a close frame is sent first.
func (c *Conn) end(code uint16, frame bool) {
	c.endOnce.Do(func() {
		c.code.Store(uint32(code))
		if frame {
			c.out.Fail(code)
		} else {
			c.out.Fail(0)
			c.kill()
		}
	})
}

// kill makes the reader's and any writer's blocked calls fail at once. The connection is
// closed by whoever runs Serve once it returns (fasthttp for a hijacked connection, which
// ignores Close until then; the detached upgrade's goroutine, server/websocket.go).
func (c *Conn) kill() { c.expire(true) }

// expire puts the connection's write deadline, or with both its read deadline too, in the
// past, unless Serve already returned.
func (c *Conn) expire(both bool) {
	c.netMu.Lock()
	defer c.netMu.Unlock()
	if c.netOver {
		return
	}
	if both {
		_ = c.ws.NetConn().SetDeadline(time.Unix(1, 0))
	} else {
		_ = c.ws.NetConn().SetWriteDeadline(time.Unix(1, 0))
	}
}

// Serve runs an accepted socket until it ends: reads messages into bridge records under
// the inbound window (its outbox is written by the hub's writers, writer.go), then
// reports the close to Python and releases the slot. It returns when the connection is
// done; the caller closes it then.
func (h *Hub) Serve(ws *fws.Conn, b *bridge.Bridge, slot *bridge.Slot, tr Transport) {
	c := &Conn{hub: h, b: b, slot: slot, id: slot.ID(), ws: ws, out: slot.Socket, raw: tr.Raw,
		compressed: tr.Compressed, done: make(chan struct{})}
	now := h.cfg.Now().UnixNano()
	c.lastSeen.Store(now)
	c.lastPing.Store(now)
	if h.cfg.MaxMessageSize > 0 {
		ws.SetReadLimit(h.cfg.MaxMessageSize)
	}
	ws.SetPongHandler(func(string) error { c.lastSeen.Store(h.cfg.Now().UnixNano()); return nil })
	// The pong goes through the outbox, after what is queued, so that it never lands
	// inside another frame; a peer that pings faster than it reads is bounded like a
	// slow broadcast member.
	ws.SetPingHandler(func(data string) error {
		c.lastSeen.Store(h.cfg.Now().UnixNano())
		if !c.out.Push(bridge.OutMsg{Op: bridge.OpPong, Data: []byte(data)}) {
			c.out.Overflow()
		}
		return nil
	})
	ws.SetCloseHandler(func(code int, _ string) error {
		if code == fws.CloseNoStatusReceived {
			code = fws.CloseNormalClosure
		}
		c.writeClose(uint16(code), "") // the answer to the peer's close
		return nil
	})
	if c.compressed {
		h.compressing.Add(1)
		defer h.compressing.Add(-1)
	}
	h.writers.start()
	h.add(c)
	stall := func() { c.expire(false) }
	if c.raw != nil && !c.compressed {
		slot.Socket.SetWake(func() { h.writers.schedule(c) }, stall)
	} else {
		slot.Socket.SetWake(func() { go c.drain(nil) }, stall)
	}
	if code := h.closing.Load(); code != 0 {
		c.end(uint16(code), true) // opened while the server was closing its sockets
	}
	code, reason := c.read()
	// The read side is finished, and with it the connection: a write still waiting on
	// the socket fails now, and none starts after.
	c.kill()
	c.wmu.Lock()
	c.dead = true
	c.wmu.Unlock()
	c.out.Fail(0)
	c.netMu.Lock()
	c.netOver = true
	c.netMu.Unlock()
	h.Stats.closed(code)
	h.remove(c)
	b.EndSocket(slot, code, reason)
	close(c.done)
}

// read reads messages until the connection ends and returns the close code and reason
// Python is told.
func (c *Conn) read() (uint16, string) {
	h := c.hub
	for {
		select {
		case <-c.out.In:
		default:
			c.paused.Store(true)
			select {
			case <-c.out.In:
			case <-c.out.Stopped():
			}
			c.paused.Store(false)
			c.lastSeen.Store(h.cfg.Now().UnixNano())
		}
		op, data, err := c.readMessage()
		if err != nil {
			return c.readError(err)
		}
		c.lastSeen.Store(h.cfg.Now().UnixNano())
		if op == fws.TextMessage && !utf8.Valid(data) {
			c.closeWith(1007, "Invalid UTF-8 in text message")
			return 1007, ""
		}
		h.Stats.MessagesIn.Add(1)
		h.Stats.BytesIn.Add(uint64(len(data)))
		rec := bridge.AppendSocketEvent(make([]byte, 0, bridge.RequestHeaderSize+len(data)), c.id,
			bridge.KindSocketMessage, uint16(op), data)
		if !c.b.PushSocket(c.slot, c.id, rec) {
			return 1006, "" // the slot was abandoned (shutdown)
		}
	}
}

// readError maps the error that ended the read loop to a close code.
func (c *Conn) readError(err error) (uint16, string) {
	if code := uint16(c.code.Load()); code != 0 {
		return code, ""
	}
	if code := c.out.FailCode(); code != 0 {
		return code, ""
	}
	var ce *fws.CloseError
	switch {
	case errors.As(err, &ce):
		return uint16(ce.Code), ce.Text
	case errors.Is(err, fws.ErrReadLimit):
		// fasthttp/websocket already sent the 1009 close frame.
		return 1009, ""
	case strings.HasPrefix(err.Error(), "websocket: "):
		// A protocol error: the library sent a 1002 close frame.
		return 1002, ""
	}
	return 1006, ""
}

// closeWith sends a close frame from the reader's side.
func (c *Conn) closeWith(code uint16, reason string) {
	c.code.CompareAndSwap(0, uint32(code))
	c.writeClose(code, reason)
}

// writeClose writes a close frame now, from the reader's goroutine (after any frame being
// written), unless one went out already.
func (c *Conn) writeClose(code uint16, reason string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent || c.dead {
		return
	}
	c.closeSent = true
	if c.compressed {
		_ = c.ws.WriteControl(fws.CloseMessage, closePayload(code, []byte(reason)), time.Now().Add(time.Second))
		return
	}
	_ = c.writeBy(appendFrame(nil, fws.CloseMessage, closePayload(code, []byte(reason))), time.Now().Add(time.Second))
}

// readMessage reads one message. A compressed message is limited by its inflated size
// (fasthttp/websocket's read limit counts the bytes on the wire): bigger closes 1009.
func (c *Conn) readMessage() (int, []byte, error) {
	if !c.compressed || c.hub.cfg.MaxMessageSize <= 0 {
		return c.ws.ReadMessage()
	}
	op, r, err := c.ws.NextReader()
	if err != nil {
		return op, nil, err
	}
	limit := c.hub.cfg.MaxMessageSize
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return op, nil, err
	}
	if int64(len(data)) > limit {
		c.closeWith(1009, "")
		return op, nil, errInflatedTooBig
	}
	return op, data, nil
}

var errInflatedTooBig = errors.New("inflated message over the size limit")

// afterClose gives the peer closeWait to answer our close frame; the reader then ends
// with its close (or the deadline).
func (c *Conn) afterClose() {
	c.netMu.Lock()
	defer c.netMu.Unlock()
	if !c.netOver {
		_ = c.ws.NetConn().SetReadDeadline(time.Now().Add(closeWait))
	}
}
