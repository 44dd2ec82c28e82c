package server

import (
	"syscall"

	"github.com/valyala/fasthttp"
)

// StatusClientClosedRequest is what the logs and metrics show for a request whose client
// went away before its answer (nginx's convention; it never reaches the client).
const StatusClientClosedRequest = 499

var clientGoneBody = errorBody("Client closed request")

// peerGoneFunc returns the check the bridge runs while the request waits for Python, or
// nil when the connection is not a socket (the in-memory test transport).
func peerGoneFunc(ctx *fasthttp.RequestCtx) func() bool {
	c, ok := ctx.Conn().(*countedConn)
	if !ok {
		return nil
	}
	return c.goneFunc()
}

// goneFunc is built once per connection (fasthttp serves one request at a time on it).
func (c *countedConn) goneFunc() func() bool {
	if c.gone == nil && !c.noFD {
		sc, ok := c.Conn.(syscall.Conn)
		var raw syscall.RawConn
		if ok {
			raw, _ = sc.SyscallConn()
		}
		if raw == nil {
			c.noFD = true
			return nil
		}
		c.gone = func() bool { return peerGone(raw) }
	}
	return c.gone
}

// peerGone peeks at the socket without consuming anything: end of stream with nothing
// pipelined (the client closed or shut down its side, as Go's net/http also treats it) or
// a socket error (reset) means nobody will read the answer.
func peerGone(raw syscall.RawConn) bool {
	gone := false
	err := raw.Control(func(fd uintptr) {
		var b [1]byte
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch err {
		case nil:
			gone = n == 0
		case syscall.EAGAIN, syscall.EINTR:
		default:
			gone = true
		}
	})
	return err == nil && gone
}
