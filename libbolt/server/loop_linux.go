//go:build linux

package server

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
)

// The loop front end (FRONT_END = "loop"): epoll loops of libbolt's own read the sockets
// instead of fasthttp's goroutine per connection, and serve the plain requests to Python
// routes themselves (loop_serve_linux.go): the request is parsed, checked, routed and
// queued for Python, and the loop goes on to the next ready socket; Python's reply comes
// back to the loop (bridge.Completer), which runs the route's after-handler steps, writes
// it and reads on. No goroutine is parked and woken per request (measured as bench/
// looponly, bench/RESULTS.md "Issue 20, part E"). Everything else (uploads, chunked or
// large bodies, WebSockets, files, auth and rate-limited routes, errors, HEAD, HTTP/1.0)
// goes to fasthttp with the connection: the loop hands it on (Server.ServeConn's path,
// through handoffListener) with the bytes it read and did not serve replayed, and fasthttp
// serves it from then on.

const loopSupported = true

// epollExclusive (EPOLLEXCLUSIVE, Linux 4.5; not named by the syscall package): of the
// loops waiting on the shared listening socket, one is woken per new connection.
const epollExclusive = 1 << 28

// epollET (EPOLLET) as the uint32 the event mask is: the syscall package's is negative.
const epollET = 1 << 31

// loopReadChunk is the least free space a read is given.
const loopReadChunk = 4 << 10

// loopFront is the set of loops serving one listener.
type loopFront struct {
	s     *Server
	hand  *handoffListener
	stop  *bridge.EventFD // readable: the loops stop
	loops []*eventLoop
	done  sync.WaitGroup
	// stopping: Stop began; replies close their connections, no request is read after.
	stopping atomic.Bool
	// statsFunc is stats as the metrics read it (Server.loopStats).
	statsFunc func() (served, handedOn uint64)
}

// eventLoop is one loop goroutine: its own epoll set, a duplicate of the listening
// descriptor and the connections it serves.
type eventLoop struct {
	f     *loopFront
	epfd  int
	lfd   int
	conns map[int]*loopConn
	// now is the clock of the loop's current turn (Unix ns): one read per wake-up, not
	// per request; the connections' deadlines are stamped from it.
	now int64
	// nextSweep is when the loop next closes the connections past their deadline.
	nextSweep int64
	// wake is written by Complete (from Python's thread, the sweeper or a stop): replies
	// are waiting in finished. spare is the list's other buffer.
	wake     *bridge.EventFD
	doneMu   sync.Mutex
	finished []loopDone
	spare    []loopDone
	// fasthttp parses a request head only from a bufio.Reader: br reads one head, already
	// whole in the connection's buffer, through sr (one copy of the head).
	br *bufio.Reader
	sr bytes.Reader
	// hb is the scratch buffer replies' heads are rendered into.
	hb []byte
	// discard takes what a lingering connection still sends.
	discard []byte
	// ctxFree holds request contexts of connections gone (newLoopCtx, putCtx); inFree
	// their first read buffers (read, putIn).
	ctxFree []*fasthttp.RequestCtx
	inFree  [][]byte
	stopped bool // the stop was seen: no accepting, connections close after their reply
	// served counts the requests the loop queued for Python; handedOn the connections it
	// gave fasthttp (bolt_loop_* metrics, loopStats). Written by the loop only.
	served, handedOn atomic.Uint64
}

// stats sums the loops' counters (the metrics' scrape).
func (f *loopFront) stats() (served, handedOn uint64) {
	for _, l := range f.loops {
		served += l.served.Load()
		handedOn += l.handedOn.Load()
	}
	return served, handedOn
}

// loopCount is how many loops serve a listener: one per CPU the process may use, as the
// measured prototype ran.
func loopCount() int { return max(1, min(runtime.GOMAXPROCS(0), runtime.NumCPU())) }

// startLoops takes ln's socket over: the loops accept and read from it, and the returned
// listener is what fasthttp serves (the connections handed on). Closing that listener
// stops the loops and closes ln.
func (s *Server) startLoops(ln *net.TCPListener) (net.Listener, error) {
	raw, err := ln.SyscallConn()
	if err != nil {
		return nil, err
	}
	stop, err := bridge.NewEventFD()
	if err != nil {
		return nil, err
	}
	f := &loopFront{s: s, stop: stop}
	f.statsFunc = f.stats
	fail := func(err error) (net.Listener, error) {
		for _, l := range f.loops {
			l.closeAll()
		}
		_ = stop.Close()
		return nil, fmt.Errorf("loop front end: %w", err)
	}
	for range loopCount() {
		var lfd int
		var derr error
		// A duplicate per loop, so each loop closes its own on stop; same socket.
		if cerr := raw.Control(func(fd uintptr) { lfd, derr = syscall.Dup(int(fd)) }); cerr != nil {
			return fail(cerr)
		}
		if derr != nil {
			return fail(derr)
		}
		syscall.CloseOnExec(lfd)
		l := &eventLoop{f: f, lfd: lfd, epfd: -1, conns: map[int]*loopConn{}}
		l.br = bufio.NewReaderSize(&l.sr, max(s.cfg.MaxHeaderBytes, 4<<10))
		f.loops = append(f.loops, l)
		if l.wake, err = bridge.NewEventFD(); err != nil {
			return fail(err)
		}
		if l.epfd, err = syscall.EpollCreate1(syscall.EPOLL_CLOEXEC); err != nil {
			return fail(err)
		}
		if err = l.watch(lfd, syscall.EPOLLIN|epollExclusive); err != nil {
			return fail(err)
		}
		if err = l.watch(stop.FD(), syscall.EPOLLIN); err != nil {
			return fail(err)
		}
		if err = l.watch(l.wake.FD(), syscall.EPOLLIN); err != nil {
			return fail(err)
		}
	}
	// Closing the hand-off listener (fasthttp's Shutdown) closes the socket too, as
	// closing the listener fasthttp serves does with the fasthttp front end.
	f.hand = newHandoffListener(ln.Addr(), func() {
		// The socket closes once the loops closed their duplicates too (beginStop).
		_ = ln.Close()
		f.shutdown()
	}, s.serveLate)
	for _, l := range f.loops {
		f.done.Add(1)
		go l.run()
	}
	s.loopStats.Store(&f.statsFunc)
	return f.hand, nil
}

// serveLate serves a connection the loops handed on after fasthttp's accept loop stopped
// (Stop is under way): fasthttp serves it directly, wrapped as capListener.Accept wraps
// a connection, answers its request with Connection: close, and Stop waits for it (its
// Shutdown counts ServeConn's connections; serveWG covers the goroutine).
func (s *Server) serveLate(c net.Conn) {
	cc := &countedConn{Conn: c, l: s.capped, peer: peerOf(c.RemoteAddr())}
	s.capped.sweeper.add(cc)
	s.serveWG.Add(1)
	go func() {
		defer s.serveWG.Done()
		_ = s.http.ServeConn(cc)
	}()
}

// shutdown stops the loops and waits for them (handoffListener.Close calls it, from
// fasthttp's Shutdown): they stop accepting, close the connections waiting for a request
// and answer the requests in flight (Connection: close) before they return; Stop's grace
// period bounds that (AbandonAll answers what Python did not).
func (f *loopFront) shutdown() {
	f.stopping.Store(true)
	f.stop.Wake()
	f.done.Wait()
	_ = f.stop.Close()
}

func (l *eventLoop) watch(fd int, events uint32) error {
	return syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: events, Fd: int32(fd)})
}

// run waits for ready descriptors until the front end stopped and its last connection
// is done. Connections are edge-triggered (loop_serve_linux.go reads until the socket is
// drained); the listening socket and the eventfds are level-triggered.
func (l *eventLoop) run() {
	defer l.f.done.Done()
	defer l.closeAll()
	events := make([]syscall.EpollEvent, 256)
	l.now = time.Now().UnixNano()
	stopFD, wakeFD := l.f.stop.FD(), l.wake.FD()
	sweep := l.f.s.capped.sweeper.interval
	if sweep <= 0 {
		sweep = sweepInterval()
	}
	wait := max(1, int(sweep/time.Millisecond))
	for !l.stopped || len(l.conns) > 0 {
		n, err := syscall.EpollWait(l.epfd, events, wait)
		l.now = time.Now().UnixNano()
		if len(l.conns) > 0 {
			l.expire(sweep)
		}
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			logger.Printf("loop front end: epoll_wait: %v", err)
			return
		}
		for i := range events[:n] {
			ev := &events[i]
			fd := int(ev.Fd)
			switch fd {
			case stopFD:
				l.beginStop()
			case wakeFD:
				l.completions()
			case l.lfd:
				l.accept()
			default:
				if c := l.conns[fd]; c != nil {
					l.ready(c, ev.Events)
				}
			}
		}
	}
}

// accept takes the new connections the socket has.
func (l *eventLoop) accept() {
	for {
		fd, sa, err := syscall.Accept4(l.lfd, syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
		if err != nil {
			return // EAGAIN: none left (another loop may have taken it); else the client left
		}
		// MAX_CONNECTIONS, counted where capListener counts it (the hand-off keeps the
		// place: capListener.Accept does not count a replayConn again).
		if l.f.s.capped.open.Add(1) > l.f.s.capped.max {
			l.f.s.capped.open.Add(-1)
			if c := fdConn(fd); c != nil {
				go refuseConn(c) // off the loop: it waits for the client's request
			}
			continue
		}
		// As Go's net package does for every TCP connection.
		_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
		// Edge-triggered, in and out registered once: no epoll_ctl per request.
		if err := l.watch(fd, syscall.EPOLLIN|syscall.EPOLLOUT|syscall.EPOLLRDHUP|epollET); err != nil {
			_ = syscall.Close(fd)
			l.f.s.capped.open.Add(-1)
			continue
		}
		c := &loopConn{fd: fd, l: l, peer: peerOfSockaddr(sa), phase: phaseRead}
		c.deadline = l.at(l.f.s.capped.sweeper.read) // the first request within READ_TIMEOUT
		l.conns[fd] = c
	}
}

// at is the deadline of a phase that starts now and lasts timeout ns (0: none).
func (l *eventLoop) at(timeout int64) int64 {
	if timeout <= 0 {
		return 0
	}
	return l.now + timeout
}

// expire ends the connections whose deadline passed, at most once per sweep interval.
func (l *eventLoop) expire(sweep time.Duration) {
	if l.now < l.nextSweep {
		return
	}
	l.nextSweep = l.now + int64(sweep)
	for _, c := range l.conns {
		if c.deadline != 0 && c.deadline <= l.now {
			l.timedOut(c)
		}
	}
}

// beginStop: the front end stops. The loop stops accepting and closes the keep-alive
// connections waiting for their next request (as fasthttp's Shutdown closes its idle
// ones); the rest are served to their end (a request being read or sent, one in flight:
// answered with Connection: close), within stopLinger for those Python does not have.
func (l *eventLoop) beginStop() {
	if l.stopped {
		return
	}
	l.stopped = true
	_ = syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, l.f.stop.FD(), nil) // level-triggered
	_ = syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, l.lfd, nil)
	_ = syscall.Close(l.lfd)
	l.lfd = -1
	bound := l.now + int64(stopLinger)
	for _, c := range l.conns {
		switch {
		case c.busy:
		case c.phase == phaseIdle && c.off == len(c.in) && !c.lingering:
			l.close(c)
		case c.deadline == 0 || c.deadline > bound:
			c.deadline = bound
		}
	}
}

// stopLinger bounds how long a stopping loop waits for a connection that has not sent
// its request whole (or not taken its reply).
const stopLinger = time.Second

// detach takes connection c out of the loop and returns its socket in Go's netpoller
// (nil if that failed: the connection is then closed and its place given back). Its
// MAX_CONNECTIONS place stays taken.
func (l *eventLoop) detach(c *loopConn) *net.TCPConn {
	_ = syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, c.fd, nil)
	delete(l.conns, c.fd)
	fd := c.fd
	c.fd = -1
	tc := fdConn(fd)
	if tc == nil {
		l.f.s.capped.open.Add(-1)
	}
	return tc
}

// handOn gives connection c to fasthttp, which reads what the loop read and did not
// serve first (a request at its start) and the socket after.
func (l *eventLoop) handOn(c *loopConn) {
	rest := c.in[c.off:]
	l.handedOn.Add(1)
	l.putCtx(c)
	if tc := l.detach(c); tc != nil {
		l.f.hand.hand(&replayConn{TCPConn: tc, pending: rest, counted: true})
	}
}

// fdConn turns an accepted descriptor into a *net.TCPConn in Go's netpoller (which takes
// a duplicate; fd itself is closed). nil if that fails (fd is closed too).
func fdConn(fd int) *net.TCPConn {
	file := os.NewFile(uintptr(fd), "")
	nc, err := net.FileConn(file)
	_ = file.Close()
	if err != nil {
		return nil
	}
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		_ = nc.Close()
		return nil
	}
	return tc
}

// close closes connection c and gives its place back. Closing the descriptor takes it
// out of the epoll set (no duplicate of it exists).
func (l *eventLoop) close(c *loopConn) {
	if c.fd < 0 {
		return
	}
	delete(l.conns, c.fd)
	_ = syscall.Close(c.fd)
	c.fd = -1
	l.f.s.capped.open.Add(-1)
	if !c.busy {
		l.putCtx(c) // (a busy one's is still its request's: closeAll at exit only)
		l.putIn(c)
	}
}

// closeAll closes the loop's descriptors.
func (l *eventLoop) closeAll() {
	for _, c := range l.conns {
		l.close(c)
	}
	if l.epfd >= 0 {
		_ = syscall.Close(l.epfd)
		l.epfd = -1
	}
	if l.lfd >= 0 {
		_ = syscall.Close(l.lfd)
		l.lfd = -1
	}
	if l.wake != nil {
		_ = l.wake.Close()
		l.wake = nil
	}
}

// newLoopCtx is a connection's request context: ctx.Conn() is the connection. Taken from
// the loop's free list when it has one: a connection gives its context back when it
// closes or leaves the loop (putCtx), so short connections and streams do not each leave
// a RequestCtx behind for the GC (10,000 SSE streams: ~20 MB of RSS).
func (l *eventLoop) newLoopCtx(c *loopConn) *fasthttp.RequestCtx {
	var ctx *fasthttp.RequestCtx
	if n := len(l.ctxFree); n > 0 {
		ctx = l.ctxFree[n-1]
		l.ctxFree[n-1] = nil
		l.ctxFree = l.ctxFree[:n-1]
	} else {
		ctx = new(fasthttp.RequestCtx)
	}
	ctx.Init2(c, l.f.s.connErrors, false)
	return ctx
}

// maxFreeCtx bounds the loop's free list of request contexts.
const maxFreeCtx = 256

// putCtx takes c's request context back for the next connection.
func (l *eventLoop) putCtx(c *loopConn) {
	ctx := c.ctx
	c.ctx = nil
	if ctx == nil || len(l.ctxFree) >= maxFreeCtx {
		return
	}
	ctx.Request.Reset()
	ctx.Response.Reset()
	l.ctxFree = append(l.ctxFree, ctx)
}

// putIn takes c's read buffer back when it is a first one (loopReadChunk), for the next
// connection's first read: a stream or a short connection does not leave 4 KiB behind.
func (l *eventLoop) putIn(c *loopConn) {
	in := c.in
	c.in, c.off = nil, 0
	if cap(in) == loopReadChunk && len(l.inFree) < maxFreeCtx {
		l.inFree = append(l.inFree, in[:0])
	}
}
