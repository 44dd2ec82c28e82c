package websocket

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	fws "github.com/fasthttp/websocket"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
)

// closeWait is how long a socket that sent a close frame waits for the peer's.
const closeWait = 2 * time.Second

// Conn is one open socket: its reader runs on the connection's goroutine (Serve), its
// writer on a second one that drains the outbox.
type Conn struct {
	hub  *Hub
	b    *bridge.Bridge
	slot *bridge.Slot
	id   uint64
	ws   *fws.Conn
	out  *bridge.Outbox
	// lastSeen and lastPing are nanoseconds on the hub's clock.
	lastSeen atomic.Int64
	lastPing atomic.Int64
	paused   atomic.Bool // the reader waits for inbound credits
	// code is the close code Go decided on (shutdown, timeout, a limit); 0: none yet.
	code    atomic.Uint32
	endOnce sync.Once
	done    chan struct{}
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

// kill makes the reader's and the writer's blocked calls fail at once. Closing would not
// do: a hijacked fasthttp connection ignores Close (fasthttp closes it when Serve returns).
func (c *Conn) kill() { _ = c.ws.NetConn().SetDeadline(time.Unix(1, 0)) }

// Serve runs an accepted socket until it ends: reads messages into bridge records under
// the inbound window, writes the outbox, then reports the close to Python and releases
// the slot. It returns when the connection is done (fasthttp closes it then).
func (h *Hub) Serve(ws *fws.Conn, b *bridge.Bridge, slot *bridge.Slot) {
	c := &Conn{hub: h, b: b, slot: slot, id: slot.ID(), ws: ws, out: slot.Socket, done: make(chan struct{})}
	now := h.cfg.Now().UnixNano()
	c.lastSeen.Store(now)
	c.lastPing.Store(now)
	if h.cfg.MaxMessageSize > 0 {
		ws.SetReadLimit(h.cfg.MaxMessageSize)
	}
	ws.SetPongHandler(func(string) error { c.lastSeen.Store(h.cfg.Now().UnixNano()); return nil })
	h.add(c)
	if code := h.closing.Load(); code != 0 {
		c.end(uint16(code), true) // opened while the server was closing its sockets
	}
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		c.write()
	}()
	code, reason := c.read()
	// The writer may still be sending a close frame; the read side is finished.
	c.out.Fail(0)
	<-wrote
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
		op, data, err := c.ws.ReadMessage()
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

// closeWith sends a close frame from the reader's side (the writer may be busy; control
// frames may be written concurrently).
func (c *Conn) closeWith(code uint16, reason string) {
	c.code.CompareAndSwap(0, uint32(code))
	_ = c.ws.WriteControl(fws.CloseMessage, fws.FormatCloseMessage(int(code), reason), time.Now().Add(time.Second))
}

// write drains the outbox until it is stopped or a close frame went out.
func (c *Conn) write() {
	h := c.hub
	for {
		m, ok := c.out.Next()
		if !ok {
			if code := c.out.FailCode(); code != 0 {
				_ = c.ws.WriteControl(fws.CloseMessage, fws.FormatCloseMessage(int(code), ""), time.Now().Add(time.Second))
				c.afterClose()
			} else {
				c.kill() // stopped without a close frame: end the reader too
			}
			return
		}
		deadline := time.Now().Add(h.cfg.WriteTimeout)
		switch m.Op {
		case bridge.OpPing:
			if c.ws.WriteControl(fws.PingMessage, nil, deadline) != nil {
				c.end(1006, false)
				return
			}
			c.hub.Stats.Pings.Add(1)
		case bridge.OpClose:
			reason := m.Data
			if len(reason) > 123 { // a control frame's payload is at most 125 bytes
				reason = reason[:123]
			}
			c.code.CompareAndSwap(0, uint32(m.Code))
			_ = c.ws.WriteControl(fws.CloseMessage, fws.FormatCloseMessage(int(m.Code), string(reason)), deadline)
			c.afterClose()
			return
		default:
			_ = c.ws.SetWriteDeadline(deadline)
			if err := c.ws.WriteMessage(int(m.Op), m.Data); err != nil {
				c.end(1006, false)
				return
			}
			h.Stats.MessagesOut.Add(1)
			h.Stats.BytesOut.Add(uint64(len(m.Data)))
			if m.Credited {
				c.b.SocketSent(c.slot)
			}
		}
	}
}

// afterClose gives the peer closeWait to answer our close frame; the reader then ends
// with its close (or the deadline).
func (c *Conn) afterClose() {
	_ = c.ws.NetConn().SetReadDeadline(time.Now().Add(closeWait))
}
