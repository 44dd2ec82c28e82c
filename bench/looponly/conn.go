//go:build linux

package main

import (
	"bytes"
	"sync"
	"syscall"

	"github.com/valyala/fasthttp"
)

// maxOut is how much rendered output a connection may hold unsent before its loop stops
// reading more requests from it (a client that pipelines without reading).
const maxOut = 1 << 20

var (
	timeoutBody  = []byte(`{"detail":"Handler timed out"}`)
	internalBody = []byte(`{"detail":"Internal Server Error"}`)
)

// reply is one answer on its way to a connection.
type reply struct {
	status      uint16
	contentType []byte
	headers     []byte // name NUL value NUL ... (the record's header block)
	body        []byte
	close       bool // send Connection: close and close after it
	head        bool // HEAD: headers only
}

// heldReply is a rendered reply that is ready before an earlier request of its
// connection: it waits for its turn (pipelined replies go out in request order).
type heldReply struct {
	seq   uint64
	bytes []byte
	close bool
}

// conn is one client connection. The loop that accepted it owns the read side (in, off,
// nextSeq, stopRead); the fields under mu are shared with the answerer, which completes
// replies and writes them.
type conn struct {
	fd   int
	loop *loop

	in       []byte // bytes read and not yet parsed start at off
	off      int
	nextSeq  uint64 // sequence number of the next request parsed
	stopRead bool   // no more requests are read (Connection: close, bad request, EOF)

	mu       sync.Mutex
	out      []byte // rendered replies not yet written
	writeSeq uint64 // sequence number of the next reply to render into out
	held     []heldReply
	inflight int  // requests parsed and not yet answered
	closing  bool // close once nothing is in flight and out is written
	broken   bool // a write failed: replies are dropped
	reading  bool // EPOLLIN is registered
	paused   bool // reading stopped until out is written (maxOut)
	wantOut  bool // EPOLLOUT is registered (out could not be written whole)
	dirty    bool // in the answerer's list of connections to flush
	closed   bool // the descriptor was closed (by the loop, the only closer)
}

// complete renders r, the reply to request seq, into the output in request order.
// Callers hold c.mu.
func (c *conn) complete(w *renderer, seq uint64, r *reply) {
	c.inflight--
	if c.broken {
		return
	}
	if seq != c.writeSeq {
		c.held = append(c.held, heldReply{seq: seq, bytes: w.render(nil, r), close: r.close})
		return
	}
	c.out = w.render(c.out, r)
	c.writeSeq++
	if r.close {
		c.closing = true
	}
	for len(c.held) > 0 {
		i := 0
		for i < len(c.held) && c.held[i].seq != c.writeSeq {
			i++
		}
		if i == len(c.held) {
			return
		}
		h := c.held[i]
		c.out = append(c.out, h.bytes...)
		c.writeSeq++
		c.closing = c.closing || h.close
		c.held = append(c.held[:i], c.held[i+1:]...)
	}
}

// flush writes what it can of out and reports whether the connection is finished: closing,
// nothing in flight and nothing left to write, so it can be closed. Callers hold c.mu.
func (c *conn) flush() (finished bool) {
	if c.closed {
		return false
	}
	for len(c.out) > 0 && !c.broken {
		n, err := syscall.Write(c.fd, c.out)
		if n > 0 {
			c.out = c.out[:copy(c.out, c.out[n:])]
		}
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			if !c.wantOut {
				c.wantOut = true
				c.setEvents()
			}
			return false
		}
		if err != nil {
			c.broken, c.closing, c.out = true, true, nil
		}
	}
	if c.wantOut || c.paused {
		c.wantOut = false
		if c.paused && !c.closing {
			c.paused, c.reading = false, true
		}
		c.setEvents()
	}
	if len(c.out) > 0 && !c.broken {
		return false
	}
	return c.closing && c.inflight == 0
}

// setEvents registers the events the connection waits for now (EPOLLERR and EPOLLHUP are
// always reported). Callers hold c.mu.
func (c *conn) setEvents() {
	var ev uint32
	if c.reading {
		ev |= syscall.EPOLLIN | syscall.EPOLLRDHUP
	}
	if c.wantOut {
		ev |= syscall.EPOLLOUT
	}
	_ = syscall.EpollCtl(c.loop.epfd, syscall.EPOLL_CTL_MOD, c.fd, &syscall.EpollEvent{Events: ev, Fd: int32(c.fd)})
}

// renderer turns replies into HTTP/1.1 bytes with fasthttp's response header (status line,
// Date, Content-Type, Content-Length, the handler's headers); one per goroutine.
type renderer struct {
	h  fasthttp.ResponseHeader
	hb []byte
}

// render appends r's head and body to dst.
func (w *renderer) render(dst []byte, r *reply) []byte {
	h := &w.h
	h.Reset()
	h.DisableNormalizing()
	h.SetNoDefaultContentType(true)
	h.SetStatusCode(int(r.status))
	if r.contentType != nil {
		h.SetContentTypeBytes(r.contentType)
	}
	for block := r.headers; len(block) > 0; {
		i := bytes.IndexByte(block, 0)
		if i < 0 {
			break
		}
		name, rest := block[:i], block[i+1:]
		j := bytes.IndexByte(rest, 0)
		if j < 0 {
			j = len(rest)
		}
		h.AddBytesKV(name, rest[:j])
		block = rest[min(j+1, len(rest)):]
	}
	h.SetContentLength(len(r.body))
	if r.close {
		h.SetConnectionClose()
	}
	// AppendBytes writes from dst[:0], so the head goes through a scratch buffer.
	w.hb = h.AppendBytes(w.hb[:0])
	dst = append(dst, w.hb...)
	if !r.head {
		dst = append(dst, r.body...)
	}
	return dst
}
