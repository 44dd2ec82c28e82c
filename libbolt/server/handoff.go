package server

import (
	"net"
	"net/netip"
	"sync"
)

// Front-end names (Config.FrontEnd).
const (
	frontAuto     = "auto" // loop where supported, else fasthttp (Config.applyDefaults)
	frontFasthttp = "fasthttp"
	frontLoop     = "loop"
)

// defaultFrontEnd is what "auto" means here: the loops where they are supported.
func defaultFrontEnd() string {
	if loopSupported {
		return frontLoop
	}
	return frontFasthttp
}

// handoffListener is the listener fasthttp serves when the loop front end owns the real
// socket (loop_linux.go): the loops pass it the connections fasthttp is to serve from then
// on (everything the loops do not serve themselves), with the bytes already read. fasthttp
// accepts them through capListener as it would from the socket, so MAX_CONNECTIONS, the
// deadlines sweeper, the worker pool and graceful shutdown (which waits for the
// connections Serve accepted) stay as they are.
type handoffListener struct {
	addr    net.Addr
	conns   chan net.Conn
	closed  chan struct{}
	once    sync.Once
	onClose func() // stops the loops (they own the real socket)
	// late serves a connection handed on once fasthttp's accept loop is gone (a stop is
	// under way): the request the loop read must still be answered.
	late func(net.Conn)
}

// handoffQueue is how many handed-off connections may wait for fasthttp's accept loop
// before a loop blocks on the hand-off.
const handoffQueue = 256

func newHandoffListener(addr net.Addr, onClose func(), late func(net.Conn)) *handoffListener {
	return &handoffListener{addr: addr, conns: make(chan net.Conn, handoffQueue),
		closed: make(chan struct{}), onClose: onClose, late: late}
}

// hand gives c to fasthttp's accept loop; after Close, to late.
func (l *handoffListener) hand(c net.Conn) {
	select {
	case <-l.closed:
		l.late(c)
		return
	default:
	}
	select {
	case l.conns <- c:
	case <-l.closed:
		l.late(c)
	}
}

func (l *handoffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// Close stops the loops and passes the connections still queued for fasthttp to late.
func (l *handoffListener) Close() error {
	l.once.Do(func() {
		close(l.closed)
		if l.onClose != nil {
			l.onClose()
		}
		for {
			select {
			case c := <-l.conns:
				l.late(c)
			default:
				return
			}
		}
	})
	return nil
}

func (l *handoffListener) Addr() net.Addr { return l.addr }

// replayConn is a connection a loop handed to fasthttp: Read returns the bytes the loop
// already read from the socket first, then reads the socket. Close lingers as lingerConn's
// does (the real listener's connections all get it).
type replayConn struct {
	*net.TCPConn
	pending []byte
	// counted: the loop already took the connection's place under MAX_CONNECTIONS.
	counted bool
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		if len(c.pending) == 0 {
			c.pending = nil // the loop's buffer is not kept alive
		}
		return n, nil
	}
	return c.TCPConn.Read(p)
}

func (c *replayConn) Close() error { return (&lingerConn{TCPConn: c.TCPConn}).Close() }

// loopRequestConn is the connection of a request a loop serves itself (loopConn, Linux
// only; its RequestCtx's Conn()): what the server's shared code asks of it.
type loopRequestConn interface {
	clientOrigin() []byte   // the request's Origin header (originOf)
	clientPeer() netip.Addr // the client's address (peerAddr)
	clientGone() bool       // the client closed the connection (connGone)
}
