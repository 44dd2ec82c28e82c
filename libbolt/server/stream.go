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
	// Headers go out at once: an event-stream client waits for them before the first event.
	ctx.Response.ImmediateHeaderFlush = true
	// fasthttp sets the write deadline once per response; a stream may run far longer, so
	// each chunk gets WRITE_TIMEOUT of its own (a client that stops reading is cut off).
	if conn, wt := ctx.Conn(), ms(s.cfg.WriteTimeoutMs); conn != nil {
		st.BeforeWrite = func() { _ = conn.SetWriteDeadline(time.Now().Add(wt)) }
	}
	if !ctx.Request.Header.IsHTTP11() {
		streamUntilClose(ctx, st)
		return
	}
	ctx.SetBodyStream(st, -1) // -1: chunked transfer encoding
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
