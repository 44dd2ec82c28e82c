package bridge

import (
	"errors"
	"io"
	"sync"
	"syscall"
)

// StreamWindow is how many chunks of one streamed reply Python may have sent that Go has
// not yet taken off the stream's queue. Python starts with this many credits, spends one
// per chunk and waits when it has none; Go returns credits (KindCredit records) as it
// writes chunks to the socket. So a slow client slows the generator down instead of
// letting chunks pile up in memory on either side.
const StreamWindow = 16

// ErrStreamAborted is what a stream's Read returns when the generator failed, the server
// stopped, or Python broke the flow-control contract: fasthttp then closes the connection
// without the final chunk, so the client sees a truncated body rather than a complete one.
var ErrStreamAborted = errors.New("bridge: streamed reply aborted")

// chunkRoom is the room put leaves before a chunk for its HTTP/1.1 chunk-size line (up to
// 8 hex digits and CRLF; a record body is below 4 GiB); the CRLF that ends the chunk follows
// the data. A detached stream (WriteChunks) writes a chunk with its framing in one Write,
// without copying it again.
const chunkRoom = 10

// lastChunk ends a chunked body (no trailers).
var lastChunk = []byte("0\r\n\r\n")

type streamMsg struct {
	frame  []byte // [chunkRoom][data]["\r\n"]; the size line ends at chunkRoom
	start  int    // where the size line starts in frame
	end    bool
	failed bool
}

// data is the chunk's bytes without the framing.
func (m *streamMsg) data() []byte { return m.frame[chunkRoom : len(m.frame)-2] }

// frameChunk copies body into a buffer laid out as "<hex size>\r\n<body>\r\n", the size
// line right-aligned in the chunkRoom bytes before the body.
func frameChunk(body []byte) ([]byte, int) { return frameChunkInto(nil, body) }

// frameChunkInto is frameChunk into dst's memory when it is large enough.
func frameChunkInto(dst []byte, body []byte) ([]byte, int) {
	size := chunkRoom + len(body) + 2
	var f []byte
	if cap(dst) >= size {
		f = dst[:size]
	} else {
		f = make([]byte, size)
	}
	copy(f[chunkRoom:], body)
	f[len(f)-2], f[len(f)-1] = '\r', '\n'
	i := chunkRoom - 2
	f[i], f[i+1] = '\r', '\n'
	for v := len(body); ; v >>= 4 {
		i--
		f[i] = "0123456789abcdef"[v&15]
		if v < 16 {
			break
		}
	}
	return f, i
}

// Stream is the body of a streamed reply, read by fasthttp as the response body stream
// (chunked transfer encoding). Read runs on the connection's goroutine; put runs on
// Python's thread inside bolt_respond and never blocks.
type Stream struct {
	b     *Bridge
	slot  *Slot
	msgs  chan streamMsg // StreamWindow chunks plus the end record
	stop  chan struct{}  // closed by abort
	once  sync.Once
	close sync.Once
	cur   []byte
	ended bool // the end record was read: the body is complete
	// BeforeWrite, when set, runs before each piece of the body is handed to fasthttp
	// (the server extends the connection's write deadline there).
	BeforeWrite func()
	// Idle, when set, runs when WriteChunks has written everything queued (the server
	// lifts the write deadline there: chunks written directly need none).
	Idle func()
	// Under b.mu: raw is the connection chunks may be written to directly (Attach;
	// stream_direct.go), nil until the writer goroutine owns it; pending counts the
	// messages put on msgs and not yet written by WriteChunks.
	raw     syscall.RawConn
	pending int
	closed  bool // finish ran
}

func newStream(b *Bridge, s *Slot) *Stream {
	return &Stream{b: b, slot: s, msgs: make(chan streamMsg, StreamWindow+1), stop: make(chan struct{})}
}

// put queues a chunk or the end record for the writer; called with b.mu held. A full queue
// means Python sent more than its credits allowed: the stream is aborted rather than
// blocking the Python thread. direct: the chunk is to be written by the caller, after it
// released b.mu (writeDirect, stream_direct.go); put reserved the writer's place for it.
func (st *Stream) put(r *Response) (ok, direct bool) {
	m := streamMsg{end: r.Kind == KindStreamEnd, failed: r.Kind == KindStreamEnd && r.Status != 0}
	if !m.end {
		if len(r.Body) == 0 {
			return true, false
		}
		if st.raw != nil && st.pending == 0 {
			st.pending++ // until writeDirect settles: nothing else may write meanwhile
			return true, true
		}
		m.frame, m.start = frameChunk(r.Body) // the batch buffer is reused after the call
		if st.raw != nil {
			st.b.stats.StreamQueued.Add(1)
		}
	}
	return st.enqueue(m), false
}

// enqueue hands m to the writer (b.mu held).
func (st *Stream) enqueue(m streamMsg) bool {
	select {
	case st.msgs <- m:
		st.pending++
		return true
	default:
		st.abort()
		return false
	}
}

func (st *Stream) abort() { st.once.Do(func() { close(st.stop) }) }

// Read hands fasthttp the next piece of the body, waiting for Python's next chunk.
func (st *Stream) Read(p []byte) (int, error) {
	for len(st.cur) == 0 {
		if st.ended {
			return 0, io.EOF
		}
		select {
		case m := <-st.msgs:
			if m.end {
				if m.failed {
					return 0, ErrStreamAborted
				}
				st.ended = true
				return 0, io.EOF
			}
			st.cur = m.data()
			st.b.credit(st.slot)
		case <-st.stop:
			return 0, ErrStreamAborted
		}
	}
	if st.BeforeWrite != nil {
		st.BeforeWrite()
	}
	n := copy(p, st.cur)
	st.cur = st.cur[n:]
	return n, nil
}

// WriteTo writes every chunk to w as it arrives, one w.Write per chunk, until the end
// record; fasthttp uses it for a chunked body (SupportsBodyWriteTo), framing each Write as
// one HTTP chunk and flushing it.
//
// Speed: without it fasthttp copies the body through a 4 KiB buffer from its copy pool
// that the stream holds for its whole life (40 MB for 10,000 idle SSE streams) and splits
// chunks larger than that buffer; here each chunk goes out once, uncopied (bench/RESULTS.md,
// issue 20).
func (st *Stream) WriteTo(w io.Writer) (int64, error) {
	var written int64
	for {
		if len(st.cur) == 0 {
			if st.ended {
				return written, nil
			}
			select {
			case m := <-st.msgs:
				if m.end {
					if m.failed {
						return written, ErrStreamAborted
					}
					st.ended = true
					return written, nil
				}
				st.cur = m.data()
				st.b.credit(st.slot)
			case <-st.stop:
				return written, ErrStreamAborted
			}
		}
		if st.BeforeWrite != nil {
			st.BeforeWrite()
		}
		n, err := w.Write(st.cur)
		written += int64(n)
		st.cur = st.cur[n:]
		if err != nil {
			return written, err
		}
	}
}

// WriteChunks writes the body in HTTP/1.1 chunked coding straight to w, a connection the
// stream owns (see server.detachStream): each chunk with its framing in one Write, then the
// last chunk once the end record arrives. No buffer is held between chunks. Chunks that
// put wrote directly (Attach) never reach it; a chunk counts as taken (for credits) once
// written, and only then may put write the next one directly.
func (st *Stream) WriteChunks(w io.Writer) error {
	for {
		select {
		case m := <-st.msgs:
			if m.end {
				if m.failed {
					return ErrStreamAborted
				}
				st.ended = true
				if st.BeforeWrite != nil {
					st.BeforeWrite()
				}
				_, err := w.Write(lastChunk)
				return err
			}
			if st.BeforeWrite != nil {
				st.BeforeWrite()
			}
			if _, err := w.Write(m.frame[m.start:]); err != nil {
				return err // pending stays: no direct write after a failed one
			}
			if st.b.written(st) && st.Idle != nil {
				st.Idle()
			}
		case <-st.stop:
			return ErrStreamAborted
		}
	}
}

// SupportsBodyWriteTo tells fasthttp to frame WriteTo's writes as the chunks.
func (st *Stream) SupportsBodyWriteTo() bool { return true }

// Close runs when fasthttp is done with the body: written completely, or not (the client
// went away, a write timed out, a HEAD request). Unless the body was complete, Python is
// told to cancel the generator. Then the slot is released. Calls after the first do
// nothing.
func (st *Stream) Close() error {
	st.close.Do(st.finish)
	return nil
}

func (st *Stream) finish() {
	b, s := st.b, st.slot
	b.mu.Lock()
	if s.state == slotStreaming {
		if !st.ended {
			b.push(entry{id: s.ID(), kind: KindCancel})
		}
		s.state = slotAbandoned // late chunks are refused from now on
	}
	st.closed = true // the slot may be reused once released: writeDirect leaves it alone
	b.mu.Unlock()
	st.abort()
	b.Release(s)
}

// CreditBatch is how many chunks Go takes off a stream's queue before it returns their
// credits to Python in one record.
//
// Speed: a credit record per chunk (coalesced only within one poll) woke the Python loop
// once more for every event of a slow stream such as SSE: the tick wakes Python, the
// chunk is written, and its credit woke Python again (bench/RESULTS.md, issue 20).
// Returning credits in batches of half the window saves 7 of every 8 of those wake-ups.
//
// It cannot stall a stream: Python only waits with StreamWindow chunks sent and not
// credited; fewer than CreditBatch of those can have been taken and held back here, so
// more than StreamWindow-CreditBatch are still queued (or in the writer's hands: a detached
// stream's chunk counts as taken once written), and taking them (as the client reads)
// crosses the batch and sends the credits.
const CreditBatch = StreamWindow / 2

// credit counts one chunk taken off the stream's queue; every CreditBatch of them queue a
// credit record (Poll sends all counted so far and resets the count).
func (b *Bridge) credit(s *Slot) {
	b.mu.Lock()
	b.creditLocked(s)
	b.mu.Unlock()
}

// written counts a chunk WriteChunks wrote: one message less pending, one chunk taken. It
// reports whether nothing else is pending.
func (b *Bridge) written(st *Stream) bool {
	b.mu.Lock()
	st.pending--
	idle := st.pending == 0
	b.creditLocked(st.slot)
	b.mu.Unlock()
	return idle
}

// creditLocked is credit with b.mu held.
func (b *Bridge) creditLocked(s *Slot) {
	switch s.state {
	case slotStreaming:
		s.credits++
		if s.credits == CreditBatch {
			b.push(entry{id: s.ID(), kind: KindCredit})
		}
	case slotSocket:
		// A WebSocket's sends are credited at once (one record per poll at most): its
		// window is per message, not per chunk of a long stream.
		if s.credits == 0 {
			b.push(entry{id: s.ID(), kind: KindCredit})
		}
		s.credits++
	}
}
