package server

import (
	"bytes"
	"net"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
)

// startStream answers with a streamed reply: the head now, the body as Python sends
// chunks (see bridge.Stream). The body stream is what marks a reply as streamed
// (ctx.Response.IsBodyStream()): compression must leave such replies alone, since SSE
// clients need every chunk as soon as it is written.
func (s *Server) startStream(ctx *fasthttp.RequestCtx, slot *bridge.Slot) {
	st := slot.Stream
	if !writeReplyHead(ctx, &slot.Reply) {
		st.Close() // cancels the generator and releases the slot
		return
	}
	wt := ms(s.cfg.WriteTimeoutMs)
	if !ctx.Request.Header.IsHTTP11() {
		// fasthttp sets the write deadline once per response; a stream may run far longer,
		// so each chunk gets WRITE_TIMEOUT of its own (a client that stops reading is cut off).
		if conn := ctx.Conn(); conn != nil && wt > 0 {
			st.BeforeWrite = func() { _ = conn.SetWriteDeadline(time.Now().Add(wt)) }
		}
		streamUntilClose(ctx, st)
		return
	}
	// 204 and 304 carry no body: fasthttp writes their head alone.
	if cc, ok := ctx.Conn().(*countedConn); ok && !ctx.IsHead() && slot.Reply.Status != 204 && slot.Reply.Status != 304 {
		if isTCP(cc.Conn) {
			s.detachStream(ctx, cc, st, wt)
			return
		}
	}
	// Not a TCP connection (the in-memory test listener), HEAD, 204 or 304: fasthttp writes
	// the head and the body (if any) from the stream.
	ctx.Response.ImmediateHeaderFlush = true // an event-stream client waits for the head
	if conn := ctx.Conn(); conn != nil && wt > 0 {
		st.BeforeWrite = func() { _ = conn.SetWriteDeadline(time.Now().Add(wt)) }
	}
	ctx.SetBodyStream(st, -1) // -1: chunked transfer encoding
}

// detachStream sends a streamed reply from a goroutine of its own, so that fasthttp lets
// go of the connection once the head is out.
//
// Memory: served by fasthttp, an open stream held the connection's 16 KiB read buffer,
// 16 KiB write buffer, RequestCtx and the grown stack of its worker goroutine for its whole
// life: ~30 KB of RSS per stream, 374 MB for 10,000 SSE streams (bench/RESULTS.md, issue
// 20). So the hijack handler writes the head (built by fasthttp after every middleware ran,
// as it would have written it), marks the connection detached (fasthttp's Close after the
// handler is then a no-op, as for WebSockets) and returns: fasthttp releases its buffers,
// ctx and worker, and the stream goroutine writes the chunks (a goroutine stack, the Stream
// and its queue: a few KB per stream) and closes the connection at the end. The price: the
// connection closes after the body (Connection: close in the head), where it was kept
// alive before.
func (s *Server) detachStream(ctx *fasthttp.RequestCtx, cc *countedConn, st *bridge.Stream, wt time.Duration) {
	held := &heldStream{Stream: st}
	// Middleware after this handler see a streamed reply (compression leaves it alone); if
	// fasthttp never runs the hijack handler, resetting the ctx closes the stream.
	ctx.SetBodyStream(held, -1)
	ctx.SetConnectionClose()
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(net.Conn) {
		// Still fasthttp's ctx here (released once this returns): its head is final now.
		if s.streamFrom(cc, ctx.Response.Header.Header(), st, wt) {
			held.detached = true // resetting the ctx (after this returns) leaves the stream open
		}
		// else the client is gone: fasthttp closes the connection, the ctx the stream
	})
}

// streamFrom writes a streamed reply's head to cc and starts the goroutine that writes its
// body (pumpStream): the connection belongs to the stream from then on. It reports false
// when the head could not be written; cc and st are then still the caller's to close.
// detachStream and the loop front end (loop_serve_linux.go) detach streams through it.
func (s *Server) streamFrom(cc *countedConn, head []byte, st *bridge.Stream, wt time.Duration) bool {
	if wt > 0 {
		_ = cc.SetWriteDeadline(time.Now().Add(wt))
	}
	if _, err := cc.Write(head); err != nil {
		return false
	}
	if wt > 0 {
		_ = cc.SetWriteDeadline(time.Time{}) // see pumpStream
	}
	cc.detached.Store(true) // a Close from fasthttp after its hijack handler leaves it open
	s.detached.Add(1)
	if wt > 0 {
		st.BeforeWrite = func() { _ = cc.SetWriteDeadline(time.Now().Add(wt)) }
		st.Idle = func() { _ = cc.SetWriteDeadline(time.Time{}) }
	}
	// From now on Python's bolt_respond writes a chunk itself when the socket takes it
	// (bridge/stream_direct.go); the goroutine writes the rest and ends the stream.
	if sc, ok := cc.Conn.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			st.Attach(rc)
		}
	}
	go s.pumpStream(cc, st)
	return true
}

// heldStream is a detached reply's body stream as fasthttp's ctx holds it until the hijack
// handler returns; Close does nothing once the stream goroutine owns the stream. Read on
// the same goroutine as Close (fasthttp resets the ctx in the hijack goroutine).
type heldStream struct {
	*bridge.Stream
	detached bool
}

func (h *heldStream) Close() error {
	if h.detached {
		return nil
	}
	return h.Stream.Close()
}

// pumpStream writes a detached stream to its connection until the body ends or fails,
// then closes the connection (which gives its place under MAX_CONNECTIONS back).
//
// The write deadline is set before each chunk the goroutine writes and lifted once nothing
// is queued (Idle): chunks that bolt_respond writes directly never wait, and a deadline left
// behind would be forced onto the idle socket by the sweeper and refuse them.
func (s *Server) pumpStream(cc *countedConn, st *bridge.Stream) {
	defer s.detached.Add(-1)
	defer func() { _ = cc.closeDetached() }()
	defer st.Close() // a body that did not end: Python cancels the generator
	_ = st.WriteChunks(cc)
}

// isTCP: a TCP connection under the listener wrappers (linger, or the loop front end's
// hand-off). The in-memory listener of the test client keeps fasthttp's own body stream.
func isTCP(c net.Conn) bool {
	switch c.(type) {
	case *net.TCPConn, *lingerConn, *replayConn:
		return true
	}
	return false
}

// streamUntilClose answers an HTTP/1.0 request, which cannot read chunked coding (RFC 9112
// 7.1): the body ends when the connection closes. fasthttp would chunk a body stream, so
// the connection is hijacked and the head and the stream are written to it here. The head
// is taken now, so a CORS policy's headers (added after this handler) are not in it.
func streamUntilClose(ctx *fasthttp.RequestCtx, st *bridge.Stream) {
	ctx.Response.Header.SetContentLength(-2) // neither a length nor chunking; Connection: close
	head := bytes.Clone(ctx.Response.Header.Header())
	isHead := ctx.IsHead()
	// Closed when the ctx is reset, in case fasthttp fails before it calls the hijack handler.
	ctx.SetUserValue(streamKey, st)
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(c net.Conn) {
		defer st.Close()
		if _, err := c.Write(head); err != nil || isHead {
			return
		}
		buf := make([]byte, 32<<10)
		for {
			n, err := st.Read(buf)
			if n > 0 {
				if _, werr := c.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	})
}

const streamKey = "bolt.stream"
