package bridge

import (
	"syscall"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/sockio"
)

// Direct writes: a chunk of a detached stream (server.detachStream) leaves for the socket
// from inside bolt_respond, on Python's thread (the GIL is released for the whole call),
// with one non-blocking write(2), when nothing of the stream is waiting for its writer
// goroutine and the socket takes it. Whatever the socket does not take at once (a full
// socket buffer: a slow reader; a write error; a deadline the sweeper forced on an idle
// socket) is queued for the writer goroutine as before, which waits for the socket with
// the write deadline and reports the error: Python's thread never blocks here, and a
// departed client is found and cancelled by the goroutine exactly as without direct writes.
//
// Order: a chunk is written directly only when Stream.pending is 0 (nothing queued and
// nothing in the writer's hands), both counted and checked under b.mu, which put holds; put
// then counts the direct write as pending until it settles. The end record always goes
// through the queue, so the last chunk and the close follow every chunk written before them.
//
// Speed: with the server pinned to one CPU, a chunk handed to the writer goroutine waited
// for the Go scheduler to wake another thread and for that thread to get the CPU from the
// Python thread, which usually meant the end of the loop's iteration (10,000 SSE streams,
// one event per second each: tick overhead p50 0.34 ms against django-bolt's 0.13;
// bench/RESULTS.md, "Issue 20, the SSE tail").

// directKeep is the largest framing buffer the bridge keeps between direct writes.
const directKeep = 64 << 10

// Attach makes the stream's later chunks eligible for direct writes to rc, the connection
// its writer goroutine owns (the head is already written). Chunks queued before keep going
// through the writer first.
func (st *Stream) Attach(rc syscall.RawConn) {
	st.b.mu.Lock()
	st.raw = rc
	st.b.mu.Unlock()
}

// writeDirect writes body as one chunk now, after put reserved the writer's place
// (Stream.pending) under b.mu and the caller released b.mu: the bridge lock is never held
// across a system call, so request goroutines submitting meanwhile do not wait for it. A
// chunk the socket took whole counts as taken (for credits); otherwise the rest goes to the
// writer goroutine in the reserved place, ahead of anything Python sends after it (Python's
// thread is the only caller of Respond, so nothing of this stream is put in between).
func (st *Stream) writeDirect(body []byte) {
	b := st.b
	b.directMu.Lock()
	f, start := frameChunkInto(b.directBuf[:0], body)
	if cap(f) <= directKeep {
		b.directBuf = f[:0]
	}
	// The error, if any (the peer is gone, a forced deadline), is the writer goroutine's to
	// find: it writes the rest with the deadline and ends the stream if that fails.
	n, _ := sockio.WriteNow(st.raw, f[start:])
	var rest streamMsg
	whole := start+n == len(f)
	if !whole {
		rest = streamMsg{frame: append([]byte(nil), f...), start: start + n}
	}
	b.directMu.Unlock()

	b.mu.Lock()
	st.pending-- // the reservation; enqueue counts the rest anew
	switch {
	case st.closed:
		// The stream ended meanwhile (shutdown): its slot may serve another request now.
	case whole:
		b.stats.StreamDirect.Add(1)
		b.creditLocked(st.slot)
	default:
		b.stats.StreamQueued.Add(1)
		st.enqueue(rest)
	}
	b.mu.Unlock()
}
