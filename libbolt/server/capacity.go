package server

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/httperr"
)

// capListener enforces MaxConnections itself instead of leaving it to fasthttp's
// Concurrency, whose refusal is a plain-text 503: over the cap a connection gets a JSON
// 503 with Connection: close and is closed, without taking a worker.
type capListener struct {
	net.Listener
	open atomic.Int64
	max  int64
	// writeErrors counts failed writes (the client went away mid-response); set when
	// metrics are on.
	writeErrors *atomic.Uint64
	// sweeper enforces the open connections' read and write deadlines (deadlines.go).
	sweeper deadlineSweeper
}

// capacityReply is written whole to a refused connection.
var capacityReply = func() []byte {
	body := httperr.Body("Server is at connection capacity")
	return []byte("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: application/json\r\n" +
		"Retry-After: 1\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + string(body))
}()

// refuseTimeout bounds how long a refused connection may hold its goroutine.
const refuseTimeout = time.Second

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		// A connection the loop front end handed on was counted when the loop accepted it.
		if rc, ok := c.(*replayConn); ok && rc.counted {
			cc := &countedConn{Conn: c, l: l, peer: peerOf(c.RemoteAddr())}
			l.sweeper.add(cc)
			return cc, nil
		}
		if l.open.Add(1) <= l.max {
			cc := &countedConn{Conn: c, l: l, peer: peerOf(c.RemoteAddr())}
			l.sweeper.add(cc)
			return cc, nil
		}
		l.open.Add(-1)
		// Off the accept loop: a slow client must not stall accepting.
		go refuseConn(c)
	}
}

func refuseConn(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(refuseTimeout))
	_, _ = c.Write(capacityReply)
	// The request usually arrives after the reply was written: closing with it unread
	// would send RST and could destroy the reply at the client. FIN first, then discard
	// input for a bounded while (see linger.go), whether or not any has arrived yet.
	if hc, ok := c.(interface{ CloseWrite() error }); ok && hc.CloseWrite() == nil {
		_ = c.SetReadDeadline(time.Now().Add(lingerTimeout))
		_, _ = io.CopyN(io.Discard, c, lingerMaxRead)
	}
	_ = c.Close()
}

// countedConn gives its place back exactly once, however often it is closed.
type countedConn struct {
	net.Conn
	l      *capListener
	closed atomic.Bool
	// Per-connection state read on the hot path. Speed: a struct every request touches
	// (fasthttp reads and writes through it), so no cache miss and no per-request
	// allocation or user value.
	//
	// peer is the client's address, read once: the access log took it through
	// RemoteAddr's chain of pointers into cold net.TCPConn memory (~0.5% of server CPU on
	// /hello in perf). origin is the Origin header of the request in progress (front sets
	// it when CORS is on; a connection serves one request at a time): it went to the
	// route's CORS middleware as a pooled user value (a pool Get and Put, a user value
	// set, looked up and closed per request; BenchmarkChain/cors ~30 ns less, in noise).
	peer   netip.Addr
	origin []byte
	// frame follows the request framing of the bytes read, to refuse heads with a bare LF
	// (framing.go); reqs counts the requests front was handed, to match them with
	// frame's heads.
	frame framing
	reqs  int
	// detached: a WebSocket or a streamed reply took the connection over (websocket.go,
	// stream.go); fasthttp's Close after the hijack leaves it open, and closeDetached
	// closes it when the socket ends.
	detached atomic.Bool
	// rec is the buffer the next request's bridge record is encoded into (python.go).
	rec []byte
	// dl holds the read and write deadlines until they pass, and the request phase they
	// are stamped from (deadlines.go).
	dl connDeadlines
}

// closeDetached closes a connection a WebSocket or a stream took over.
func (c *countedConn) closeDetached() error {
	c.detached.Store(false)
	return c.Close()
}

// errBareLF is returned by countedConn.Read when fasthttp reads on after a head with a
// bare LF (it is waiting for CRLFCRLF, or for a body); fasthttp hands it to parseError
// (400 + close).
var errBareLF = errors.New("bare LF in the request head")

// Read stamps the idle and read phases (deadlines.go) and follows the request framing of
// the bytes it returns (framing.go). A head with a
// bare LF is refused where fasthttp stands when it gets to it: parsed (front refuses it,
// see refuseBareLF) or still reading (the read fails here). fasthttp never reads past a
// request it has not handled, so a read while a refused head is pending is one for it.
// Speed: one branch per read, plus the scan of head bytes (framing.go).
func (c *countedConn) Read(p []byte) (int, error) {
	if c.frame.bad > c.reqs {
		return 0, errBareLF
	}
	if c.dl.auto {
		c.readStarts()
	}
	n, err := c.Conn.Read(p)
	if n > 0 {
		if c.dl.auto {
			c.readGot()
		}
		if c.frame.state != frameOff {
			c.frame.scan(p[:n])
		}
	}
	return n, err
}

// refuseBareLF counts a request handed to front; true: its head has a bare LF.
func (c *countedConn) refuseBareLF() bool {
	c.reqs++
	return c.frame.bad != 0 && c.reqs >= c.frame.bad
}

// hijacked stops the framing scan: the connection carries WebSocket frames or a stream.
func (c *countedConn) hijacked() {
	c.frame.state, c.frame.bad = frameOff, 0
	c.stopStamps()
}

// SetReadDeadline records the deadline for the sweeper (deadlines.go).
func (c *countedConn) SetReadDeadline(t time.Time) error { return c.setDeadline(t, sideRead) }

// SetWriteDeadline records the deadline for the sweeper (deadlines.go).
func (c *countedConn) SetWriteDeadline(t time.Time) error { return c.setDeadline(t, sideWrite) }

// SetDeadline records both deadlines for the sweeper (deadlines.go).
func (c *countedConn) SetDeadline(t time.Time) error { return c.setDeadline(t, sideRead|sideWrite) }

// Write stamps the write phase (deadlines.go) and counts failed writes.
func (c *countedConn) Write(p []byte) (int, error) {
	if c.dl.auto {
		c.writeStarts()
	}
	n, err := c.Conn.Write(p)
	if err != nil && c.l.writeErrors != nil {
		c.l.writeErrors.Add(1)
	}
	return n, err
}

func (c *countedConn) Close() error {
	if c.detached.Load() {
		return nil
	}
	if c.closed.CompareAndSwap(false, true) {
		c.l.open.Add(-1)
		c.l.sweeper.remove(c)
	}
	return c.Conn.Close()
}

// peerAddr is the client's address (the TCP peer).
func peerAddr(ctx *fasthttp.RequestCtx) netip.Addr {
	switch c := ctx.Conn().(type) {
	case *countedConn:
		return c.peer
	case loopRequestConn:
		return c.clientPeer()
	}
	return peerOf(ctx.RemoteAddr())
}

// peerOf is the IP of a remote address as fasthttp's RemoteIP gives it (0.0.0.0 when the
// address is not TCP), unmapped.
func peerOf(addr net.Addr) netip.Addr {
	ip := net.IPv4zero
	if ta, ok := addr.(*net.TCPAddr); ok {
		ip = ta.IP
	}
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}
