//go:build linux

package main

import (
	"bufio"
	"bytes"
	"log"
	"runtime"
	"sync"
	"syscall"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

const (
	maxHeader = 8 << 10 // a header block longer than this is answered 431
	maxBody   = 1 << 20 // a body longer than this is answered 413
	readChunk = 4 << 10 // the least free space a read is given
)

var (
	jsonType         = bridge.ContentTypes[bridge.ContentTypeJSON]
	notFoundBody     = []byte(`{"detail":"Not Found"}`)
	notAllowedBody   = []byte(`{"detail":"Method Not Allowed"}`)
	badRequestBody   = []byte(`{"detail":"Bad Request"}`)
	tooLargeBody     = []byte(`{"detail":"Request body too large"}`)
	headerTooBig     = []byte(`{"detail":"Request header too large"}`)
	chunkedBody      = []byte(`{"detail":"Chunked request bodies are not supported"}`)
	capacityBody     = []byte(`{"detail":"Server is at capacity"}`)
	headerTerminator = []byte("\r\n\r\n")
)

// loop is one event-loop goroutine: its own listening socket (SO_REUSEPORT), epoll set and
// connections, and the fasthttp request it parses every request of its connections into.
type loop struct {
	s     *server
	epfd  int
	lfd   int
	conns map[int]*conn
	ctx   fasthttp.RequestCtx
	// fasthttp parses a request header only from a bufio.Reader: br reads the bytes of one
	// header block, already complete in the connection's buffer, through sr. Its cost is
	// one copy of the header block into br's buffer.
	br *bufio.Reader
	sr bytes.Reader
	w  renderer // for replies the loop answers itself (404, 400, ...)

	// -writer=loop: the answerer queues connections with output on toFlush and wakes the
	// loop through wakeFD; flushing is the list the loop is working through.
	wakeFD   *bridge.EventFD
	flushMu  sync.Mutex
	toFlush  []*conn
	flushing []*conn
}

func newLoop(s *server, lfd int) (*loop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	wake, err := bridge.NewEventFD()
	if err != nil {
		return nil, err
	}
	l := &loop{s: s, epfd: epfd, lfd: lfd, conns: map[int]*conn{}, wakeFD: wake}
	l.br = bufio.NewReaderSize(&l.sr, maxHeader)
	for _, fd := range []int{lfd, s.stopFD.FD(), wake.FD()} {
		if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// run waits for ready descriptors and serves them until the server stops. epoll is
// level-triggered: a connection with more to read is reported again on the next turn.
func (l *loop) run() {
	defer l.s.done.Done()
	if lockThreads {
		runtime.LockOSThread()
	}
	events := make([]syscall.EpollEvent, 256)
	stopFD, wakeFD := l.s.stopFD.FD(), l.wakeFD.FD()
	for {
		n, err := syscall.EpollWait(l.epfd, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		for i := range events[:n] {
			ev := &events[i]
			fd := int(ev.Fd)
			switch fd {
			case stopFD:
				l.shutdown()
				return
			case l.lfd:
				l.accept()
				continue
			case wakeFD:
				l.flushQueued()
				continue
			}
			c := l.conns[fd]
			if c == nil {
				continue
			}
			if ev.Events&syscall.EPOLLOUT != 0 {
				c.mu.Lock()
				finished := c.flush()
				c.mu.Unlock()
				if finished {
					l.close(c)
					continue
				}
			}
			if ev.Events&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
				l.readable(c)
			}
		}
	}
}

func (l *loop) accept() {
	for {
		fd, _, err := syscall.Accept4(l.lfd, syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
		if err != nil {
			return // EAGAIN: no more for now (other errors: the client is already gone)
		}
		// As Go's net package does for every TCP connection (fasthttp's too).
		_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
		c := &conn{fd: fd, loop: l, in: make([]byte, 0, readChunk), reading: true}
		if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(fd)}); err != nil {
			_ = syscall.Close(fd)
			continue
		}
		l.conns[fd] = c
	}
}

// flushQueued writes the output of the connections the answerer handed over.
func (l *loop) flushQueued() {
	l.wakeFD.Reset()
	l.flushMu.Lock()
	list := l.toFlush
	l.toFlush = l.flushing[:0]
	l.flushMu.Unlock()
	for _, c := range list {
		c.mu.Lock()
		c.dirty = false
		finished := c.flush()
		c.mu.Unlock()
		if finished {
			l.close(c)
		}
	}
	clear(list)
	l.flushing = list
}

// readable reads what the socket has and hands every complete request on.
func (l *loop) readable(c *conn) {
	if !c.stopRead {
		c.mu.Lock()
		if len(c.out) > maxOut {
			// The client does not read its replies: stop reading its requests until the
			// backlog is written (flush turns reading back on; level-triggered, so the
			// unread requests are reported again then).
			c.paused, c.reading = true, false
			c.setEvents()
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		if cap(c.in)-len(c.in) < readChunk {
			c.in = append(c.in[:cap(c.in)], make([]byte, cap(c.in))...)[:len(c.in)]
		}
		n, err := syscall.Read(c.fd, c.in[len(c.in):cap(c.in)])
		if n > 0 {
			c.in = c.in[:len(c.in)+n]
			l.parse(c)
			return
		}
		if err == syscall.EAGAIN || err == syscall.EINTR {
			return
		}
		// n == 0 (the peer closed its side, or the answerer shut the socket down) or an
		// error: no more requests from this connection.
		c.stopRead = true
	}
	c.mu.Lock()
	c.closing = true
	finished := c.inflight == 0 && (len(c.out) == 0 || c.broken)
	if !finished && c.reading {
		c.reading = false // wait for the answerer's shutdown (EPOLLHUP) instead
		c.setEvents()
	}
	c.mu.Unlock()
	if finished {
		l.close(c)
	}
}

// parse hands on every complete request in c.in, in order.
func (l *loop) parse(c *conn) {
	for c.off < len(c.in) && !c.stopRead {
		buf := c.in[c.off:]
		end := bytes.Index(buf, headerTerminator)
		if end < 0 {
			if len(buf) > maxHeader {
				l.refuse(c, 431, headerTooBig)
			}
			break
		}
		end += len(headerTerminator)
		if end > maxHeader {
			l.refuse(c, 431, headerTooBig)
			break
		}
		req := &l.ctx.Request
		req.Reset()
		l.ctx.ResetUserValues()
		l.sr.Reset(buf[:end])
		l.br.Reset(&l.sr)
		if err := req.Header.Read(l.br); err != nil {
			l.refuse(c, 400, badRequestBody)
			break
		}
		cl := req.Header.ContentLength()
		if cl == -1 {
			l.refuse(c, 501, chunkedBody)
			break
		}
		var body []byte
		if cl > 0 {
			if cl > maxBody {
				l.refuse(c, 413, tooLargeBody)
				break
			}
			if len(buf)-end < cl {
				break // the rest of the body is still to come
			}
			body = buf[end : end+cl]
			end += cl
		}
		l.dispatch(c, body)
		c.off += end
	}
	// Keep only the unparsed tail, at the start of the buffer.
	if c.off > 0 {
		c.in = c.in[:copy(c.in, c.in[c.off:])]
		c.off = 0
	}
}

// dispatch routes the request parsed into l.ctx and queues it for the answerer, or answers
// it from here when no route takes it.
func (l *loop) dispatch(c *conn, body []byte) {
	ctx := &l.ctx
	h := &ctx.Request.Header
	seq := c.nextSeq
	c.nextSeq++
	closeAfter := h.ConnectionClose() || !h.IsHTTP11()
	if closeAfter {
		c.stopRead = true
	}
	method := h.Method()
	rt, known := l.s.table.Match(unsafe.String(unsafe.SliceData(method), len(method)), ctx.Path(), ctx)
	if rt == nil {
		if known {
			l.immediate(c, seq, 405, notAllowedBody, closeAfter)
		} else {
			l.immediate(c, seq, 404, notFoundBody, closeAfter)
		}
		return
	}
	slot, err := l.s.bridge.Acquire()
	if err != nil {
		l.immediate(c, seq, 503, capacityBody, closeAfter)
		return
	}
	var ok bool
	slot.Req, ok = appendRecord(slot.Req[:0], slot.ID(), l.s.methods[rt.ID], rt, ctx, body)
	if !ok {
		l.s.bridge.Release(slot)
		l.immediate(c, seq, 400, badRequestBody, closeAfter)
		return
	}
	l.s.pending[uint32(slot.ID())] = pendingReq{slot: slot, c: c, seq: seq, close: closeAfter, head: h.IsHead()}
	c.mu.Lock()
	c.inflight++
	c.mu.Unlock()
	l.s.bridge.Submit(slot)
}

// immediate answers request seq from the loop (in its turn among the pipelined replies).
func (l *loop) immediate(c *conn, seq uint64, status uint16, body []byte, closeAfter bool) {
	c.mu.Lock()
	c.inflight++
	c.complete(&l.w, seq, &reply{status: status, contentType: jsonType, body: body, close: closeAfter, head: l.ctx.Request.Header.IsHead()})
	finished := c.flush()
	c.mu.Unlock()
	if finished {
		_ = syscall.Shutdown(c.fd, syscall.SHUT_RDWR) // the loop closes it on the next turn
	}
}

// refuse answers a request that cannot be parsed or taken and stops reading the
// connection, which closes once the replies before it are out.
func (l *loop) refuse(c *conn, status uint16, body []byte) {
	seq := c.nextSeq
	c.nextSeq++
	c.stopRead = true
	l.ctx.Request.Reset()
	l.immediate(c, seq, status, body, true)
}

// close closes a finished connection. Only the loop closes descriptors, under the
// connection's lock, so the answerer never writes to a descriptor number reused since.
func (l *loop) close(c *conn) {
	c.mu.Lock()
	c.closed = true
	_ = syscall.Close(c.fd)
	c.mu.Unlock()
	delete(l.conns, c.fd)
}

// shutdown closes the loop's descriptors when the server stops (requests in flight are
// dropped: this is a benchmark tool).
func (l *loop) shutdown() {
	for _, c := range l.conns {
		l.close(c)
	}
	_ = syscall.Close(l.lfd)
	_ = syscall.Close(l.epfd)
	_ = l.wakeFD.Close()
}

// appendRecord encodes the request record as libbolt/server's appendRecord does for the
// sections these routes use (path, params, query, headers with FlagHeaders, body inline;
// no extra section). It reports false for input the real server answers 400.
func appendRecord(dst []byte, id uint64, method uint8, rt *router.Compiled, ctx *fasthttp.RequestCtx, body []byte) ([]byte, bool) {
	start := len(dst)
	dst = append(dst, make([]byte, bridge.RequestHeaderSize)...)
	var lens [bridge.NumSections]uint32

	mark := len(dst)
	dst = append(dst, ctx.Path()...)
	lens[bridge.SectionPath] = uint32(len(dst) - mark)

	mark = len(dst)
	for i, name := range rt.Params {
		if i > 0 {
			dst = append(dst, 0)
		}
		raw, _ := ctx.UserValue(name).(string)
		var ok bool
		if dst, ok = bridge.AppendUnescaped(dst, raw); !ok {
			return dst, false
		}
	}
	lens[bridge.SectionParams] = uint32(len(dst) - mark)

	mark = len(dst)
	for k, v := range ctx.QueryArgs().All() {
		if !bridge.CleanText(k) || !bridge.CleanText(v) {
			return dst, false
		}
		if len(dst) > mark {
			dst = append(dst, 0)
		}
		dst = append(dst, k...)
		dst = append(dst, 0)
		dst = append(dst, v...)
	}
	lens[bridge.SectionQuery] = uint32(len(dst) - mark)

	mark = len(dst)
	if rt.Flags&bridge.FlagHeaders != 0 {
		for k, v := range ctx.Request.Header.All() {
			for _, b := range k {
				if 'A' <= b && b <= 'Z' {
					b += 'a' - 'A'
				}
				dst = append(dst, b)
			}
			dst = append(dst, 0)
			dst = append(dst, v...)
			dst = append(dst, 0)
		}
	}
	lens[bridge.SectionHeaders] = uint32(len(dst) - mark)

	dst = append(dst, body...)
	lens[bridge.SectionBody] = uint32(len(body))

	bridge.PutRequestHeader(dst[start:], id, bridge.KindRequest, method, rt.ID, rt.Flags, 0, &lens)
	return dst, true
}
