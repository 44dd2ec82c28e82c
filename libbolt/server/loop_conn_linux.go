//go:build linux

package server

import (
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
)

// loopConn is a client connection an event loop serves itself (loop_serve_linux.go). The
// loop's goroutine owns every field but gone; nothing else reads or writes the socket.
//
// A connection serves one request at a time, as fasthttp does: the next request in the
// buffer is parsed once the previous reply is written, so pipelined replies keep their
// order without sequence numbers, and a reply that cannot be written whole (EAGAIN) stops
// the reading of further requests until it is.
type loopConn struct {
	fd int
	l  *eventLoop
	// in holds the bytes read; the next request starts at off.
	in  []byte
	off int
	// headChecked is how much of a head still arriving was parsed already (serveNext).
	headChecked int
	// out is the rendered reply not yet written; body, when set, is a large reply body that
	// follows it from the response's own buffer (render, flush: one writev, no copy).
	out  []byte
	body []byte
	// ctx is the connection's request context (allocated at its first request, reused
	// for every request after it, as fasthttp keeps one per connection it serves).
	ctx *fasthttp.RequestCtx
	// rec is the buffer the next request's bridge record is encoded into.
	rec []byte

	// The request in flight (busy): its slot, route, observer start and whether the
	// connection closes after its reply.
	busy       bool
	slot       *bridge.Slot
	route      *loopRoute
	start      time.Duration
	closeAfter bool
	// outcome is how the request in flight ended, for the route's finish chain (loopReply);
	// badInput is the 400's detail of outcomeBadInput; passed: the route's guard let the
	// request through (loopPass).
	outcome  loopOutcome
	badInput inputError
	passed   bool
	// stream is the streamed reply loopReply started, for finish to detach.
	stream *heldStream
	// origin is the request's Origin header, for the route's CORS step (originOf).
	origin []byte

	// deadline is when the connection's current phase times out (Unix ns; 0: never):
	// READ_TIMEOUT for a request being read, WRITE_TIMEOUT for a reply being written,
	// IDLE_TIMEOUT between requests. None while Python has the request (its own timeout).
	deadline int64
	phase    connPhase
	// eof: the peer shut its side (a read returned 0) or the socket failed.
	eof bool
	// unread: reading stopped with the buffer full; read again once it drains.
	unread bool
	// lingering: the reply that ends the connection is written and its write side shut;
	// what the client still sends is discarded until it closes (as lingerConn does).
	lingering bool
	// gone is eof for the bridge's disconnect probe (connGone), read on the sweeper's
	// goroutine while Python has the request.
	gone atomic.Bool
	peer netip.Addr
	addr *net.TCPAddr // peer as a net.Addr (RemoteAddr), built when first asked for
}

// loopOutcome is how a loop-served request ended (loopReply answers from it).
type loopOutcome uint8

const (
	outcomeAnswered  loopOutcome = iota // Python answered: slot.Reply
	outcomeAbandoned                    // timed out, client gone or the server stopping
	outcomeCapacity                     // no slot: every request slot is taken
	outcomeStopping                     // no slot: the bridge is shut
	outcomeRefused                      // the route\'s guard refused it (its reply is set)
	outcomeBadInput                     // the request cannot be encoded for Python (400)
)

// errLoopConn is what the net.Conn methods below return for I/O: the loop reads and
// writes the socket itself; a RequestCtx only needs the connection for its addresses.
var errLoopConn = errors.New("loop front end: the connection's I/O belongs to its loop")

// loopConn is the net.Conn of its requests' RequestCtx (ctx.Conn()): the server's code
// finds the connection's state through it (originOf, peerAddr, connGone).
func (c *loopConn) Read([]byte) (int, error)  { return 0, errLoopConn }
func (c *loopConn) Write([]byte) (int, error) { return 0, errLoopConn }
func (c *loopConn) Close() error              { return nil }
func (c *loopConn) LocalAddr() net.Addr {
	if sa, err := syscall.Getsockname(c.fd); err == nil {
		return sockaddrTCP(sa)
	}
	return &net.TCPAddr{}
}
func (c *loopConn) RemoteAddr() net.Addr {
	if c.addr == nil {
		c.addr = &net.TCPAddr{IP: c.peer.AsSlice()}
		if sa, err := syscall.Getpeername(c.fd); err == nil {
			c.addr = sockaddrTCP(sa)
		}
	}
	return c.addr
}
func (c *loopConn) SetDeadline(time.Time) error      { return nil }
func (c *loopConn) SetReadDeadline(time.Time) error  { return nil }
func (c *loopConn) SetWriteDeadline(time.Time) error { return nil }

// clientOrigin, clientPeer and clientGone are what the server's shared code asks of a
// loop-served request's connection (loopRequestConn).
func (c *loopConn) clientOrigin() []byte   { return c.origin }
func (c *loopConn) clientPeer() netip.Addr { return c.peer }
func (c *loopConn) clientGone() bool       { return c.gone.Load() }
func (c *loopConn) String() string         { return "loop connection" }
func sockaddrTCP(sa syscall.Sockaddr) *net.TCPAddr {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]).To16(), Port: a.Port}
	case *syscall.SockaddrInet6:
		return &net.TCPAddr{IP: net.IP(a.Addr[:]), Port: a.Port}
	}
	return &net.TCPAddr{}
}

// peerOfSockaddr is the client's IP from accept's address, unmapped (as peerOf gives it).
func peerOfSockaddr(sa syscall.Sockaddr) netip.Addr {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrFrom4(a.Addr)
	case *syscall.SockaddrInet6:
		return netip.AddrFrom16(a.Addr).Unmap()
	}
	return netip.IPv4Unspecified()
}
