//go:build linux

package server

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
)

// The loop front end (FRONT_END = "loop"): epoll loops of libbolt's own read the sockets
// instead of fasthttp's goroutine per connection. Measured as bench/looponly (bench/
// RESULTS.md, "Issue 20, part E"): no park and wake per request, ~1.4-1.6 µs less CPU per
// request on /hello and /items once integrated. Built in slices; this one owns the
// listening socket, accepts and reads on the loops, and hands every connection to fasthttp
// (Server.ServeConn's path, through handoffListener) with the bytes it read replayed. The
// next slices serve plain requests to routes without a blocking or after-handler step on
// the loop itself and hand on only the rest (uploads, chunked bodies, WebSockets, files).

const loopSupported = true

// epollExclusive (EPOLLEXCLUSIVE, Linux 4.5; not named by the syscall package): of the
// loops waiting on the shared listening socket, one is woken per new connection.
const epollExclusive = 1 << 28

// loopReadChunk is what a loop reads from a new connection at once.
const loopReadChunk = 4 << 10

// loopFront is the set of loops serving one listener.
type loopFront struct {
	s     *Server
	hand  *handoffListener
	stop  *bridge.EventFD // readable: the loops stop
	loops []*eventLoop
	done  sync.WaitGroup
}

// eventLoop is one loop goroutine: its own epoll set, a duplicate of the listening
// descriptor and the connections it accepted and has not handed on.
type eventLoop struct {
	f    *loopFront
	epfd int
	lfd  int
	// conns holds the READ_TIMEOUT deadline (Unix ns) of each connection the loop waits
	// on: as with fasthttp, a new connection must send its request within it.
	conns map[int]int64
	buf   []byte
	// nextSweep is when the loop next closes the connections past their deadline.
	nextSweep int64
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
		l := &eventLoop{f: f, lfd: lfd, epfd: -1, conns: map[int]int64{}, buf: make([]byte, loopReadChunk)}
		f.loops = append(f.loops, l)
		if l.epfd, err = syscall.EpollCreate1(syscall.EPOLL_CLOEXEC); err != nil {
			return fail(err)
		}
		if err = l.watch(lfd, syscall.EPOLLIN|epollExclusive); err != nil {
			return fail(err)
		}
		if err = l.watch(stop.FD(), syscall.EPOLLIN); err != nil {
			return fail(err)
		}
	}
	// Closing the hand-off listener (fasthttp's Shutdown) closes the socket too, as
	// closing the listener fasthttp serves does with the fasthttp front end.
	f.hand = newHandoffListener(ln.Addr(), func() {
		f.shutdown()
		_ = ln.Close()
	})
	for _, l := range f.loops {
		f.done.Add(1)
		go l.run()
	}
	return f.hand, nil
}

// shutdown stops the loops and waits for them (handoffListener.Close calls it, from
// fasthttp's Shutdown): connections not handed on yet sent no request; they are closed.
func (f *loopFront) shutdown() {
	f.stop.Wake()
	f.done.Wait()
	_ = f.stop.Close()
}

func (l *eventLoop) watch(fd int, events uint32) error {
	return syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: events, Fd: int32(fd)})
}

// run waits for ready descriptors until the front end stops. Level-triggered: a socket
// with more to read is reported again on the next turn.
func (l *eventLoop) run() {
	defer l.f.done.Done()
	defer l.closeAll()
	events := make([]syscall.EpollEvent, 128)
	stopFD := l.f.stop.FD()
	sweep := l.f.s.capped.sweeper.interval
	wait := -1
	if l.f.s.capped.sweeper.read > 0 {
		wait = max(1, int(sweep/time.Millisecond))
	}
	for {
		n, err := syscall.EpollWait(l.epfd, events, wait)
		if wait > 0 && len(l.conns) > 0 {
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
			fd := int(events[i].Fd)
			switch fd {
			case stopFD:
				return
			case l.lfd:
				l.accept()
			default:
				l.readable(fd)
			}
		}
	}
}

// accept takes the new connections the socket has.
func (l *eventLoop) accept() {
	for {
		fd, _, err := syscall.Accept4(l.lfd, syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
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
		if err := l.watch(fd, syscall.EPOLLIN|syscall.EPOLLRDHUP); err != nil {
			_ = syscall.Close(fd)
			l.f.s.capped.open.Add(-1)
			continue
		}
		l.conns[fd] = l.deadline()
	}
}

// deadline is a new connection's READ_TIMEOUT deadline (none: 0). One clock read per
// connection, not per request.
func (l *eventLoop) deadline() int64 {
	if t := l.f.s.capped.sweeper.read; t > 0 {
		return time.Now().UnixNano() + t
	}
	return 0
}

// expire closes the connections whose deadline passed, at most once per sweep interval.
func (l *eventLoop) expire(sweep time.Duration) {
	now := time.Now().UnixNano()
	if now < l.nextSweep {
		return
	}
	l.nextSweep = now + int64(sweep)
	for fd, dl := range l.conns {
		if dl != 0 && dl <= now {
			l.drop(fd)
		}
	}
}

// readable reads what a connection sent and hands the connection on with it.
func (l *eventLoop) readable(fd int) {
	if _, ok := l.conns[fd]; !ok {
		return
	}
	n, err := syscall.Read(fd, l.buf)
	if err == syscall.EAGAIN || err == syscall.EINTR {
		return
	}
	if n <= 0 {
		l.drop(fd) // closed before sending anything, or an error
		return
	}
	l.handOn(fd, append([]byte(nil), l.buf[:n]...))
}

// handOn gives connection fd to fasthttp, which reads read first and the socket after.
func (l *eventLoop) handOn(fd int, read []byte) {
	_ = syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, fd, nil)
	delete(l.conns, fd)
	tc := fdConn(fd)
	if tc == nil {
		l.f.s.capped.open.Add(-1)
		return
	}
	l.f.hand.hand(&replayConn{TCPConn: tc, pending: read, counted: true})
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

func (l *eventLoop) drop(fd int) {
	_ = syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, fd, nil)
	delete(l.conns, fd)
	_ = syscall.Close(fd)
	l.f.s.capped.open.Add(-1)
}

// closeAll closes the loop's descriptors.
func (l *eventLoop) closeAll() {
	for fd := range l.conns {
		_ = syscall.Close(fd)
		l.f.s.capped.open.Add(-1)
	}
	clear(l.conns)
	if l.epfd >= 0 {
		_ = syscall.Close(l.epfd)
		l.epfd = -1
	}
	if l.lfd >= 0 {
		_ = syscall.Close(l.lfd)
		l.lfd = -1
	}
}
