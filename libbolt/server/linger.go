package server

import (
	"io"
	"net"
	"syscall"
	"time"
	"unsafe"
)

// Closing a TCP socket that still has unread input makes the kernel send RST, and an RST
// can make the client drop the error response we just wrote (a 413 or 431 sent before the
// request was fully read). So when input is pending at close, we send FIN first and discard
// what the client still sends for a short, bounded while (as Go's net/http does).
const (
	lingerTimeout = 500 * time.Millisecond
	lingerMaxRead = 256 << 10
	fionread      = 0x541B // FIONREAD on Linux
)

type lingerListener struct{ net.Listener }

func (l lingerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && err == nil {
		return &lingerConn{TCPConn: tc}, nil
	}
	return c, err
}

type lingerConn struct{ *net.TCPConn }

func (c *lingerConn) Close() error {
	if unread(c.TCPConn) > 0 && c.CloseWrite() == nil {
		_ = c.SetReadDeadline(time.Now().Add(lingerTimeout))
		_, _ = io.CopyN(io.Discard, c.TCPConn, lingerMaxRead)
	}
	return c.TCPConn.Close()
}

// unread returns how many received bytes the application has not read yet.
func unread(c *net.TCPConn) int {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0
	}
	n := 0
	_ = raw.Control(func(fd uintptr) {
		var v int32
		_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, fionread, uintptr(unsafe.Pointer(&v)))
		if errno == 0 {
			n = int(v)
		}
	})
	return n
}
