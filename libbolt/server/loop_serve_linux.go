//go:build linux

package server

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"slices"
	"syscall"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/httperr"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/protect"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// Hot path: the loops serve the plain requests to Python routes (loop_linux.go). A request
// is served here only when everything front and the route's chain would check before the
// handler passes; anything else is handed on to fasthttp with the connection, at the
// request's first byte, and fasthttp answers it as it always has (errors included). So
// this file decides "mine or fasthttp's" and never writes an error of its own, but for
// the outcomes of a request it took: 503 (no slot, stopping), 504 (handler timeout) and
// 408 (a request not sent whole within READ_TIMEOUT).

// loopMaxBody is the largest body a loop serves: one that travels inline in the request
// record (bridge.BodyApartMin). A larger one goes to fasthttp, which streams it within the
// route's limit and the in-flight budget (body.go).
const loopMaxBody = bridge.BodyApartMin

var hExpect = []byte("Expect")

// loopStep is what serveNext did with the next request of a connection.
type loopStep uint8

const (
	stepMore     loopStep = iota // the request is not whole yet: read on
	stepServed                   // queued for Python (or answered at once: no slot)
	stepHandedOn                 // fasthttp has the connection now
)

// ready handles the events epoll reported for c.
func (l *eventLoop) ready(c *loopConn, events uint32) {
	if events&syscall.EPOLLOUT != 0 && len(c.out) > 0 {
		l.flush(c)
		if c.fd < 0 {
			return
		}
	}
	if events&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
		l.read(c, events&(syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0)
		if c.fd < 0 {
			return
		}
	}
	l.advance(c)
}

// read reads what the socket has into c.in: edge-triggered, so until the socket is
// drained (a read shorter than the space it was given: more data arriving after it
// triggers a new edge) or the buffer holds as much as one served request may take (the
// rest is read once the buffer drains: unread). hup: the peer closed, so read to the end.
func (l *eventLoop) read(c *loopConn, hup bool) {
	if c.lingering {
		l.drain(c)
		return
	}
	limit := l.f.s.cfg.MaxHeaderBytes + loopMaxBody
	for !c.eof {
		if len(c.in)-c.off >= limit {
			c.unread = true
			return
		}
		if c.off > 0 && c.off == len(c.in) {
			c.in, c.off = c.in[:0], 0
		}
		if cap(c.in) == 0 && len(l.inFree) > 0 {
			n := len(l.inFree)
			c.in, l.inFree[n-1] = l.inFree[n-1], nil
			l.inFree = l.inFree[:n-1]
		}
		if cap(c.in)-len(c.in) < loopReadChunk {
			if c.off > 0 { // the requests before off are served: keep the tail only
				c.in, c.off = c.in[:copy(c.in, c.in[c.off:])], 0
			}
			if cap(c.in)-len(c.in) < loopReadChunk {
				c.in = append(c.in[:cap(c.in)], make([]byte, max(cap(c.in), loopReadChunk))...)[:len(c.in)]
			}
		}
		space := cap(c.in) - len(c.in)
		n, err := syscall.Read(c.fd, c.in[len(c.in):cap(c.in)])
		if n > 0 {
			c.in = c.in[:len(c.in)+n]
			if n < space && !hup {
				return
			}
			continue
		}
		switch err {
		case syscall.EAGAIN:
			return
		case syscall.EINTR:
			continue
		}
		c.eof = true // 0: the peer shut its side; else the socket failed
	}
	if c.busy {
		c.gone.Store(true) // for the disconnect probe: Python may stop working for it
	}
}

// drain discards what a lingering connection sends and closes it at its end.
func (l *eventLoop) drain(c *loopConn) {
	if l.discard == nil {
		l.discard = make([]byte, 16<<10)
	}
	for {
		n, err := syscall.Read(c.fd, l.discard)
		if n > 0 {
			continue
		}
		if err == syscall.EAGAIN {
			return
		}
		if err == syscall.EINTR {
			continue
		}
		l.close(c)
		return
	}
}

// advance serves c's next requests while it is free: nothing in flight, nothing left to
// write. It stamps the phase deadline the connection is left in.
func (l *eventLoop) advance(c *loopConn) {
	for c.fd >= 0 && !c.busy && len(c.out) == 0 && !c.lingering {
		if c.off < len(c.in) {
			switch l.serveNext(c) {
			case stepServed:
				continue
			case stepHandedOn:
				return
			}
		}
		if c.unread { // the buffer had filled: the socket may hold more
			c.unread = false
			l.read(c, false)
			if c.unread || c.off < len(c.in) && !c.eof {
				continue
			}
		}
		if c.eof {
			if c.off < len(c.in) {
				// A request cut short by the client's end of stream: fasthttp answers it
				// (400, "Bad Request" or "Malformed or truncated request body") from the
				// bytes replayed and the end of stream after them.
				l.handOn(c)
				return
			}
			l.close(c)
			return
		}
		// Waiting for a request or for the rest of one: a request's first bytes end the
		// idle wait that flush stamped and start its READ_TIMEOUT (a new connection has it
		// from its accept).
		if c.off < len(c.in) && c.phase == phaseIdle {
			c.phase, c.deadline = phaseRead, l.at(l.f.s.capped.sweeper.read)
		}
		return
	}
}

// serveNext takes the request at the start of c's unserved bytes: queues it for Python,
// or hands the connection on to fasthttp when the loop does not serve it.
func (l *eventLoop) serveNext(c *loopConn) loopStep {
	s := l.f.s
	buf := c.in[c.off:]
	end, bareLF := headEnd(buf)
	if bareLF || end > s.cfg.MaxHeaderBytes || end < 0 && len(buf) > s.cfg.MaxHeaderBytes {
		l.handOn(c) // fasthttp answers 400 or 431
		return stepHandedOn
	}
	if end < 0 {
		// A head still arriving: its lines are parsed as they complete, so a bad request
		// line or header line goes to fasthttp (a 400 at once) as it would have refused it
		// at once, rather than waiting for the end of the head (or READ_TIMEOUT). Once per
		// new line: a head sent byte by byte is parsed at most once per line.
		if i := bytes.LastIndexByte(buf, '\n'); i >= c.headChecked {
			c.headChecked = i + 1
			if err := l.parseHead(c, buf[:i+1]); !errors.Is(err, io.EOF) {
				l.handOn(c)
				return stepHandedOn
			}
		}
		return stepMore
	}
	if err := l.parseHead(c, buf[:end]); err != nil {
		l.handOn(c)
		return stepHandedOn
	}
	ctx := c.ctx
	h := &ctx.Request.Header
	cl := h.ContentLength() // -1: chunked; -2: neither header, no body (RFC 9112 6.3)
	if cl == -2 {
		cl = 0
	}
	// Expect: 100-continue waits for the interim reply before it sends the body.
	if cl < 0 || cl > loopMaxBody || !h.IsHTTP11() || h.IsHead() || h.IsOptions() || len(h.PeekBytes(hExpect)) > 0 {
		l.handOn(c)
		return stepHandedOn
	}
	if len(buf)-end < cl {
		return stepMore
	}
	lr := l.admit(c, ctx, cl)
	if lr == nil {
		l.handOn(c)
		return stepHandedOn
	}
	body := buf[end : end+cl]
	l.served.Add(1) // the loop answers it, whatever the outcome
	c.off += end + cl
	c.headChecked = 0
	c.busy, c.route, c.phase, c.deadline = true, lr, phaseRead, 0
	c.closeAfter = h.ConnectionClose()
	c.start = s.observer.Begin()
	c.slot = nil
	if lr.guard != nil {
		// Before the record: auth adds the identity to the request's extra section.
		c.passed = false
		if lr.guard(ctx); !c.passed {
			c.outcome = outcomeRefused // the guard's 401, 403 or 429 is in the response
			l.finish(c)
			return stepServed
		}
	}
	rec, bad := appendRecord(c.rec[:0], 0, lr.method, lr.rt, ctx, body, false)
	if bad != "" {
		c.rec = rec[:0]
		c.outcome, c.badInput = outcomeBadInput, bad
		l.finish(c)
		return stepServed
	}
	slot, prev, err := s.Bridge.EnqueueFor(l, rec, nil, c)
	if cap(prev) <= 64<<10 { // as keepRecord: not a buffer a big body grew
		c.rec = prev
	} else {
		c.rec = nil
	}
	if err != nil {
		c.outcome = outcomeCapacity
		if err == bridge.ErrClosed {
			c.outcome = outcomeStopping
		}
		l.finish(c)
		return stepServed
	}
	c.slot = slot
	s.Bridge.Arm(slot, lr.timeout)
	return stepServed
}

// parseHead parses head into c's request context (reset for a new request); a head cut
// short fails with an error that wraps io.EOF.
func (l *eventLoop) parseHead(c *loopConn, head []byte) error {
	if c.ctx == nil {
		c.ctx = l.newLoopCtx(c)
	}
	ctx := c.ctx
	ctx.Request.Reset()
	ctx.Response.Reset()
	ctx.Request.Header.DisableNormalizing()
	ctx.Response.Header.DisableNormalizing()
	ctx.Response.Header.SetNoDefaultContentType(true)
	l.sr.Reset(head)
	l.br.Reset(&l.sr)
	return ctx.Request.Header.Read(l.br)
}

// admit runs what front and the route's chain check before the handler, on the parsed
// head of a request with a whole body of cl bytes, and returns the route the loop serves
// it on; nil: fasthttp is to serve it (an error, a special path, a route the loops do not
// serve). It sets the request id, as front does.
func (l *eventLoop) admit(c *loopConn, ctx *fasthttp.RequestCtx, cl int) *loopRoute {
	s := l.f.s
	h := &ctx.Request.Header
	if len(h.RequestURI()) > s.cfg.MaxURIBytes {
		return nil
	}
	var f headerFacts
	if status, _ := scanHeaders(h.RawHeaders(), s.cfg.MaxHeaders, &f); status != 0 || f.hosts == 0 || f.encodings > 0 {
		return nil
	}
	path := ctx.Path()
	switch {
	case s.health != nil && bytes.Equal(path, s.health),
		absoluteAuthority(h.RequestURI()) != nil,
		s.hosts != nil && !s.hosts.allows(f.host),
		s.observer.ServesMetrics(ctx),
		s.replies != nil && s.replies.has(path):
		return nil
	}
	method := h.Method()
	// As the router routes it (fasthttp/router matches the path as sent, its parameters
	// are unescaped once, in the record). Speed: the router takes a string; the bytes
	// are not kept past the call.
	rt, _ := s.table.Match(unsafe.String(unsafe.SliceData(method), len(method)), ctx.Request.URI().PathOriginal(), ctx)
	if rt == nil || int(rt.ID) >= len(s.loopRoutes) {
		return nil
	}
	lr := s.loopRoutes[rt.ID]
	if lr == nil || cl > lr.limit || cl > 0 && bodyMediaRefusal(h, lr.jsonOnly) != nil {
		return nil
	}
	if validRequestID(f.requestID) {
		ctx.Response.Header.SetBytesKV(hRequestID, f.requestID)
	} else {
		var buf [32]byte
		ctx.Response.Header.SetBytesKV(hRequestID, s.ids.append(buf[:0]))
	}
	c.origin = f.origin
	return lr
}

// headEnd returns the length of the request head at the start of buf (through its blank
// line; -1 while it is incomplete) and whether a line of it ends in a bare LF, which
// fasthttp would accept and the server refuses (front, framing.go): such a request is
// fasthttp's to refuse. Leading blank lines are fasthttp's too.
func headEnd(buf []byte) (int, bool) {
	pos := 0
	for {
		i := bytes.IndexByte(buf[pos:], '\n')
		if i < 0 {
			return -1, false
		}
		line := buf[pos : pos+i]
		if len(line) == 0 || line[len(line)-1] != '\r' {
			return -1, true
		}
		pos += i + 1
		if len(line) == 1 {
			if pos == 2 { // a blank line before the request line
				return -1, true
			}
			return pos, false
		}
	}
}

// loopDone is a request's outcome on its way to its loop.
type loopDone struct {
	slot     *bridge.Slot
	answered bool
}

// Complete is the bridge's report that Python answered a request of this loop (or that
// it was abandoned): the slot goes on the loop's list and the loop is woken when the list
// was empty. Runs on Python's thread (Respond), the sweeper or a stop.
func (l *eventLoop) Complete(s *bridge.Slot, answered bool) {
	l.doneMu.Lock()
	first := len(l.finished) == 0
	l.finished = append(l.finished, loopDone{s, answered})
	l.doneMu.Unlock()
	if first {
		l.wake.Wake()
	}
}

// completions finishes the requests whose outcome arrived. The eventfd is reset before
// the list is taken, so a completion queued after the take wakes the loop again.
func (l *eventLoop) completions() {
	l.wake.Reset()
	l.doneMu.Lock()
	list := l.finished
	l.finished = l.spare[:0]
	l.doneMu.Unlock()
	for i, d := range list {
		list[i] = loopDone{}
		c, ok := d.slot.Conn.(*loopConn)
		if !ok || !c.busy || c.slot != d.slot {
			continue
		}
		if d.answered {
			c.outcome = outcomeAnswered
		} else {
			c.outcome = outcomeAbandoned
		}
		l.finish(c)
		l.advance(c)
	}
	l.spare = list[:0]
}

// finish runs the route's finish chain (its after-handler steps around loopReply) on the
// request in flight and sends the reply: rendered and written from the loop, or, for a
// streamed reply or a file, from a goroutine that takes the connection over.
func (l *eventLoop) finish(c *loopConn) {
	s := l.f.s
	ctx := c.ctx
	c.route.finish(ctx)
	// Read after the chain: loopReply hands a streamed reply's slot to its stream, which
	// releases it (also when the stream ends at once: a 204 or 304, a bad head).
	slot := c.slot
	c.busy, c.slot = false, nil
	switch {
	case c.outcome == outcomeAbandoned && slot.ClientGone:
		s.observer.End(ctx, c.start)
		s.Bridge.Release(slot)
		l.close(c) // nobody to answer
	case c.stream != nil:
		s.observer.End(ctx, c.start)
		l.detachStream(c) // the stream releases the slot
	case ctx.Response.IsBodyStream():
		s.observer.End(ctx, c.start)
		if slot != nil {
			s.Bridge.Release(slot)
		}
		l.sendFile(c)
	default:
		l.render(c, &ctx.Response)
		if slot != nil {
			s.Bridge.Release(slot)
		}
		s.observer.End(ctx, c.start)
		l.flush(c)
	}
}

// buildLoopRoutes is the loopRoute of every route the loops serve, by route id (nil: the
// route is fasthttp's).
func (s *Server) buildLoopRoutes(compiled []*router.Compiled) []*loopRoute {
	var out []*loopRoute
	for _, rt := range compiled {
		if s.loopPlan(rt.ID, rt.Flags) == loopHandOn {
			continue
		}
		timeout := s.timeout
		if v := s.cfg.RouteTimeoutMs[rt.ID]; v > 0 {
			timeout = ms(v)
		}
		lr := &loopRoute{
			rt: rt, method: bridge.MethodCodes[rt.Method], timeout: timeout,
			limit: s.routeBodyLimit(rt.ID), jsonOnly: slices.Contains(s.cfg.JSONBodyRoutes, rt.ID),
			observeHandler: s.observer.HandlerTimer(rt),
			finish:         s.routeChain(rt, s.loopReply, nil),
		}
		if g := s.guards[rt.ID]; g != nil {
			lr.guard = protect.Wrap(g, s.loopPass)
		}
		for int(rt.ID) >= len(out) {
			out = append(out, nil)
		}
		out[rt.ID] = lr
	}
	return out
}

// loopPass is the last step of a guarded route's guard (loopRoute.guard): the request was
// let through.
func (s *Server) loopPass(ctx *fasthttp.RequestCtx) { ctx.Conn().(*loopConn).passed = true }

// loopReply is the last step of a loop-served route's finish chain (loopRoute.finish):
// what pythonHandler does once Wait returned, from the outcome the loop recorded.
func (s *Server) loopReply(ctx *fasthttp.RequestCtx) {
	c := ctx.Conn().(*loopConn)
	switch c.outcome {
	case outcomeRefused:
		return // the guard answered
	case outcomeBadInput:
		httperr.Write(ctx, fasthttp.StatusBadRequest, httperr.Body(string(c.badInput)))
		return
	case outcomeCapacity:
		httperr.Write(ctx, fasthttp.StatusServiceUnavailable, capacityBody)
		return
	case outcomeStopping:
		httperr.Write(ctx, fasthttp.StatusServiceUnavailable, stoppingBody)
		return
	case outcomeAbandoned:
		switch {
		case c.slot.ClientGone:
			ctx.SetStatusCode(StatusClientClosedRequest) // for the access log: no reply
		case c.l.f.stopping.Load():
			httperr.Write(ctx, fasthttp.StatusServiceUnavailable, stoppingBody)
		default:
			httperr.Write(ctx, fasthttp.StatusGatewayTimeout, timeoutBody)
		}
		return
	}
	slot := c.slot
	if c.route.observeHandler != nil {
		c.route.observeHandler(slot.HandlerTime())
	}
	if slot.Reply.Kind == bridge.KindStreamStart {
		st := slot.Stream
		c.slot = nil // the stream releases it
		if !writeReplyHead(ctx, &slot.Reply) || slot.Reply.Status == 204 || slot.Reply.Status == 304 {
			st.Close() // no body to stream: cancels the generator, releases the slot
			return
		}
		// Marks the reply streamed for the steps after this one (compression leaves it
		// alone) and frames it chunked; the connection closes after it, as detachStream's.
		c.stream = &heldStream{Stream: st}
		ctx.SetBodyStream(c.stream, -1)
		ctx.SetConnectionClose()
		return
	}
	writeReply(ctx, &slot.Reply)
}

// render appends the response's bytes to c.out, as fasthttp's Response.Write does for a
// body in memory (the Content-Length, no body for 1xx, 204 and 304).
func (l *eventLoop) render(c *loopConn, resp *fasthttp.Response) {
	if c.closeAfter || l.stopped {
		resp.SetConnectionClose()
	}
	c.closeAfter = resp.ConnectionClose()
	body := resp.Body()
	status := resp.StatusCode()
	skip := status < 200 || status == fasthttp.StatusNoContent || status == fasthttp.StatusNotModified
	if !skip || len(body) > 0 {
		resp.Header.SetContentLength(len(body))
	}
	// AppendBytes writes from its argument's start: the head goes through a scratch buffer.
	l.hb = resp.Header.AppendBytes(l.hb[:0])
	c.out = append(c.out, l.hb...)
	switch {
	case skip:
	case len(body) >= writevMin && len(c.out) == len(l.hb):
		// Speed: a large body is written from where it is (the response's buffer, which
		// stays untouched until the next request resets it), with the head in one
		// writev, instead of being copied behind the head first: /bench/big's 10 KB body
		// was a third of libbolt's memmove in perf. flush copies what the socket did not
		// take into out.
		c.body = body
	default:
		c.out = append(c.out, body...)
	}
}

// writevMin is the smallest body render leaves in place for flush's writev.
const writevMin = 2 << 10

// writev2 writes a, then b, with one writev(2); a is not empty.
func writev2(fd int, a, b []byte) (int, error) {
	iov := [2]syscall.Iovec{{Base: &a[0]}, {Base: &b[0]}}
	iov[0].SetLen(len(a))
	iov[1].SetLen(len(b))
	n, _, errno := syscall.Syscall(syscall.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), 2)
	if errno != 0 {
		return int(n), errno
	}
	return int(n), nil
}

// flush writes what it can of c.out. A reply the socket does not take whole waits for
// EPOLLOUT under WRITE_TIMEOUT; once it is out the connection is idle (or closes, after a
// Connection: close reply).
func (l *eventLoop) flush(c *loopConn) {
	for len(c.out) > 0 {
		var n int
		var err error
		if len(c.body) > 0 {
			n, err = writev2(c.fd, c.out, c.body)
		} else {
			n, err = syscall.Write(c.fd, c.out)
		}
		if n > 0 {
			k := min(n, len(c.out))
			c.out = c.out[:copy(c.out, c.out[k:])]
			c.body = c.body[n-k:]
			if len(c.out) == 0 && len(c.body) > 0 { // the head is out: the rest of the body
				c.out, c.body = append(c.out, c.body...), nil
			}
			continue
		}
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			if len(c.body) > 0 { // the response's buffer is not held past this turn
				c.out, c.body = append(c.out, c.body...), nil
			}
			if c.phase != phaseWrite {
				c.phase, c.deadline = phaseWrite, l.at(l.f.s.capped.sweeper.write)
			}
			return
		}
		c.body = nil
		l.countWriteError()
		l.close(c) // the client is gone
		return
	}
	if cap(c.out) > 64<<10 {
		c.out = nil // not kept after a big reply
	}
	if c.closeAfter {
		l.linger(c)
		return
	}
	c.phase, c.deadline = phaseIdle, l.at(l.f.s.capped.sweeper.idle)
}

// linger ends a connection after its last reply: FIN first, then what the client still
// sends is discarded until it closes or lingerTimeout passes (lingerConn's reasons: a
// close with unread input sends RST, which can destroy the reply at the client).
func (l *eventLoop) linger(c *loopConn) {
	if syscall.Shutdown(c.fd, syscall.SHUT_WR) != nil {
		l.close(c)
		return
	}
	c.lingering = true
	c.phase, c.deadline = phaseIdle, l.now+int64(lingerTimeout)
	l.drain(c)
}

// timedOut ends a connection whose deadline passed: a request read in part is answered
// 408 (as fasthttp's parseError answers it); a connection idle, lingering or not taking
// its reply is closed.
func (l *eventLoop) timedOut(c *loopConn) {
	if c.busy {
		return // Python has the request: the handler's timeout applies
	}
	if c.phase == phaseRead && c.off < len(c.in) && !c.lingering {
		if c.ctx == nil {
			c.ctx = l.newLoopCtx(c)
		}
		c.ctx.Request.Reset()
		c.ctx.Response.Reset()
		l.f.s.parseError(c.ctx, os.ErrDeadlineExceeded)
		c.in, c.off = c.in[:0], 0
		l.render(c, &c.ctx.Response)
		l.flush(c) // closes (lingers) once written
		return
	}
	if len(c.out) > 0 && !c.lingering {
		l.countWriteError() // WRITE_TIMEOUT: the reply was cut off, as a failed write
	}
	l.close(c)
}

// countWriteError counts a reply that could not be written whole (bolt_response_write_errors_total).
func (l *eventLoop) countWriteError() {
	if w := l.f.s.capped.writeErrors; w != nil {
		w.Add(1)
	}
}

// detachStream gives the connection to the goroutine that writes a streamed reply
// (streamFrom, as detachStream in stream.go does for fasthttp's connections).
func (l *eventLoop) detachStream(c *loopConn) {
	s := l.f.s
	st := c.stream.Stream
	c.stream.detached = true // the ctx's reset leaves the stream open
	c.stream = nil
	head := bytes.Clone(c.ctx.Response.Header.Header())
	c.ctx.Response.Reset()
	// The slot keeps c (Slot.Conn) for the stream's whole life: c lets go of its buffers
	// and request context now (~7 KB per stream: 10,000 SSE streams took 289 MB of RSS
	// instead of 216 before this).
	l.putCtx(c)
	l.putIn(c)
	c.out, c.body, c.rec = nil, nil, nil
	tc := l.detach(c)
	if tc == nil {
		st.Close()
		return
	}
	// As capListener.Accept wraps a connection, then as front marks a hijacked one: the
	// sweeper enforces the stream's write deadlines, no request phases are stamped.
	cc := &countedConn{Conn: &replayConn{TCPConn: tc, counted: true}, l: s.capped, peer: c.peer}
	s.capped.sweeper.add(cc)
	cc.hijacked()
	wt := ms(s.cfg.WriteTimeoutMs)
	go func() { // the head's write may block: not on the loop
		if !s.streamFrom(cc, head, st, wt) {
			st.Close()
			_ = cc.Close()
		}
	}()
}

// sendFile gives the connection to a goroutine that writes a reply whose body is a
// stream (a FileResponse) and then hands the connection on to fasthttp, which serves what
// follows on it.
func (l *eventLoop) sendFile(c *loopConn) {
	s := l.f.s
	ctx := c.ctx
	c.ctx = nil // the goroutine's now
	if c.closeAfter || l.stopped {
		ctx.Response.SetConnectionClose()
	}
	closeAfter := ctx.Response.ConnectionClose()
	rest := c.in[c.off:]
	tc := l.detach(c)
	if tc == nil {
		ctx.Response.Reset() // closes the file
		return
	}
	l.handedOn.Add(1) // fasthttp serves what follows
	rc := &replayConn{TCPConn: tc, pending: rest, counted: true}
	wt := ms(s.cfg.WriteTimeoutMs)
	go func() {
		if wt > 0 {
			_ = tc.SetWriteDeadline(time.Now().Add(wt))
		}
		bw := bufio.NewWriterSize(tc, writeBufferSize)
		err := ctx.Response.Write(bw)
		if err == nil {
			err = bw.Flush()
		}
		ctx.Response.Reset() // closes the file
		_ = tc.SetWriteDeadline(time.Time{})
		if err != nil || closeAfter {
			_ = rc.Close()
			s.capped.open.Add(-1)
			return
		}
		l.f.hand.hand(rc)
	}()
}
