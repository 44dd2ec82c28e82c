package server

import (
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
	ctx.SetBodyStream(st, -1) // -1: chunked transfer encoding
}
