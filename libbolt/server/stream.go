package server

import (
	"bytes"
	"net"
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
		if tc := tcpConnOf(cc.Conn); tc != nil {
			s.detachStream(ctx, cc, tc, st, wt)
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

// detachStream sends a streamed reply from a goroutine of its own, on a second descriptor
// of the connection, so that fasthttp lets go of the connection once the head is out.
//
// Memory: served by fasthttp, an open stream held the connection's 16 KiB read buffer,
// 16 KiB write buffer, RequestCtx and the grown stack of its worker goroutine for its whole
// life: ~33 KB of RSS per stream, 360 MB for 10,000 SSE streams (bench/RESULTS.md, issue
// 20). A hijack alone does not help: fasthttp keeps the read buffer and the ctx until the
// hijack handler returns, and closes the connection then. So the handler writes the head
// (built by fasthttp after every middleware ran, as it would have written it), dups the
// socket and returns; fasthttp releases everything and closes its descriptor, and the
// stream goroutine writes the chunks to the dup (a goroutine stack, the Stream and its
// queue: a few KB per stream). The price: the connection closes after the body
// (Connection: close in the head), where it was kept alive before.
func (s *Server) detachStream(ctx *fasthttp.RequestCtx, cc *countedConn, tc *net.TCPConn, st *bridge.Stream, wt time.Duration) {
	held := &heldStream{Stream: st}
	// Middleware after this handler see a streamed reply (compression leaves it alone); if
	// fasthttp never runs the hijack handler, resetting the ctx closes the stream.
	ctx.SetBodyStream(held, -1)
	ctx.SetConnectionClose()
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(c net.Conn) {
		// Still fasthttp's ctx here (released once this returns): its head is final now.
		head := ctx.Response.Header.Header()
		if wt > 0 {
			_ = c.SetWriteDeadline(time.Now().Add(wt))
		}
		if _, err := c.Write(head); err != nil {
			return // the client is gone: closing the ctx closes the stream
		}
		own, err := dupConn(tc)
		if err != nil {
			logger.Printf("streamed reply: %v", err)
			return
		}
		// The connection's place under MAX_CONNECTIONS goes with the stream; fasthttp's
		// Close of cc now only closes its descriptor (no linger: that would shut down the
		// socket the stream writes to).
		cc.detach()
		s.detached.Add(1)
		held.detached = true // resetting the ctx (after this returns) leaves the stream open
		go s.pumpStream(own, cc, st, wt)
	})
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

// pumpStream writes a detached stream to its connection until the body ends or fails.
func (s *Server) pumpStream(c net.Conn, cc *countedConn, st *bridge.Stream, wt time.Duration) {
	defer s.detached.Add(-1)
	defer cc.release()
	defer c.Close()
	defer st.Close() // a body that did not end: Python cancels the generator
	if wt > 0 {
		st.BeforeWrite = func() { _ = c.SetWriteDeadline(time.Now().Add(wt)) }
	}
	_ = st.WriteChunks(c)
}

// tcpConnOf is the TCP connection under a listener wrapper (linger), or nil.
func tcpConnOf(c net.Conn) *net.TCPConn {
	switch v := c.(type) {
	case *net.TCPConn:
		return v
	case *lingerConn:
		return v.TCPConn
	}
	return nil
}

// dupConn is a second descriptor of tc's socket as a net.Conn of its own: closing tc then
// leaves the connection open.
func dupConn(tc *net.TCPConn) (net.Conn, error) {
	f, err := tc.File()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return net.FileConn(f)
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
