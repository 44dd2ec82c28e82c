package server

import (
	"net"
	"syscall"

	"github.com/valyala/fasthttp"
)

// Noticing a client that went away while its handler runs. fasthttp does not read the
// connection while a handler runs, so a closed peer goes unnoticed until the reply is
// written. The bridge's sweeper asks connGone about requests that have waited for Python
// for a while (bridge.ProbeAfter); one non-blocking recv(MSG_PEEK) per such request per
// probe, nothing for fast handlers. A peer that closed (or only shut down its sending
// side: HTTP/1.1 clients do not do that while they wait for a reply) reads as end of
// file; its handler's task is then cancelled like a timed-out one.

// StatusClientClosedRequest is what the access log and metrics show for a request whose
// client went away before its answer (nginx's convention; it never reaches the client).
const StatusClientClosedRequest = 499

// closeSilently ends the request of a client that went away: nothing is written to the
// dead socket (shared/reliability.md), the connection is closed, and the access log and
// metrics see StatusClientClosedRequest.
func closeSilently(ctx *fasthttp.RequestCtx) {
	ctx.SetStatusCode(StatusClientClosedRequest)
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(net.Conn) {}) // fasthttp closes a hijacked connection once this returns
}

// connGone reports whether the peer of c has closed the connection. Pipelined bytes
// waiting to be read count as alive; connections that are not sockets (the test client's
// in-memory ones) never count as gone.
func connGone(c net.Conn) bool {
	for {
		switch x := c.(type) {
		case *countedConn:
			c = x.Conn
			continue
		case *lingerConn:
			c = x.TCPConn
			continue
		case *replayConn:
			// Bytes the loop read before the hand-off are in fasthttp's buffer by the time a
			// request is in flight: only the socket is probed, as for the other wrappers.
			c = x.TCPConn
			continue
		case loopRequestConn:
			return x.clientGone() // its loop saw the end of the stream
		}
		break
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	gone := false
	_ = raw.Control(func(fd uintptr) {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		gone = (n == 0 && err == nil) || err == syscall.ECONNRESET
	})
	return gone
}
