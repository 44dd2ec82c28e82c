//go:build linux

package main

import (
	"log"
	"runtime"
	"syscall"

	"github.com/django-bolt-go/django-bolt-go/bench/internal/answer"
	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
)

// answer stands in for Python, as bench/bridgeonly's fakePython does: wait for the wake-up
// fd, poll a batch, answer every request with answer.Reply, hand the batch to Respond.
// Then, unlike bridgeonly (where each reply unparks its fasthttp goroutine), each reply is
// rendered into its connection's output in request order, and every connection the batch
// touched gets one write(2): from here (default; in the real server that is Python's
// thread inside bolt_respond, the GIL released around the call), or with -writer=loop
// from the connection's loop, woken once per batch through its eventfd.
func (s *server) answer() {
	defer s.done.Done()
	if lockThreads {
		runtime.LockOSThread()
	}
	wfd, sfd := s.wake.FD(), s.stopFD.FD()
	in := make([]byte, 1<<20)
	scratch := make([]byte, 0, 512) // /items and /bench/params bodies are built here
	var out []byte
	var ids []uint64
	var dirty []*conn
	var w renderer
	for {
		var set syscall.FdSet
		set.Bits[wfd/64] |= 1 << (uint(wfd) % 64)
		set.Bits[sfd/64] |= 1 << (uint(sfd) % 64)
		if _, err := syscall.Select(max(wfd, sfd)+1, &set, nil, nil, nil); err != nil {
			if err == syscall.EINTR {
				continue
			}
			log.Fatal(err)
		}
		if set.Bits[sfd/64]&(1<<(uint(sfd)%64)) != 0 {
			return
		}
		n := s.bridge.Poll(in)
		var err error
		if out, ids, err = answer.AppendReplies(out[:0], ids[:0], in[:n], scratch); err != nil {
			log.Fatal(err)
		}
		if len(out) == 0 {
			continue
		}
		if _, err := s.bridge.Respond(out); err != nil {
			log.Fatal(err)
		}
		for _, id := range ids {
			p := &s.pending[uint32(id)]
			slot, c := p.slot, p.c
			// Respond left the outcome in the slot's channel (buffered): nobody waits on
			// it, so taking it is a plain receive, no park and no wake.
			answered := slot.Outcome()
			rep := reply{close: p.close, head: p.head}
			switch {
			case answered && int(slot.Reply.ContentType) < len(bridge.ContentTypes):
				rep.status = slot.Reply.Status
				rep.contentType = bridge.ContentTypes[slot.Reply.ContentType]
				rep.headers = slot.Reply.Headers
				rep.body = slot.Reply.Body
			case answered:
				rep.status, rep.contentType, rep.body = 500, jsonType, internalBody
			default:
				rep.status, rep.contentType, rep.body = 504, jsonType, timeoutBody
			}
			c.mu.Lock()
			c.complete(&w, p.seq, &rep)
			if !c.dirty {
				c.dirty = true
				dirty = append(dirty, c)
			}
			c.mu.Unlock()
			*p = pendingReq{}
			s.bridge.Release(slot)
		}
		if s.loopWrites {
			s.handOver(dirty)
		} else {
			for _, c := range dirty {
				c.mu.Lock()
				c.dirty = false
				if c.flush() {
					// Nothing more will be written and nothing is in flight: shut the
					// socket down, which wakes its loop (EPOLLHUP) to close it; only the
					// loop closes descriptors, so no write can reach a reused one.
					_ = syscall.Shutdown(c.fd, syscall.SHUT_RDWR)
				}
				c.mu.Unlock()
			}
		}
		clear(dirty)
		dirty = dirty[:0]
	}
}

// handOver gives each loop the connections of its own that have replies to write, and
// wakes it once (the -writer=loop variant: the answerer makes no socket calls).
func (s *server) handOver(dirty []*conn) {
	for _, l := range s.loops {
		l.flushMu.Lock()
		n := len(l.toFlush)
		for _, c := range dirty {
			if c.loop == l {
				l.toFlush = append(l.toFlush, c)
			}
		}
		added := len(l.toFlush) > n
		l.flushMu.Unlock()
		if added {
			l.wakeFD.Wake()
		}
	}
}
