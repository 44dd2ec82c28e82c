package bridge

import (
	"errors"
	"io"
	"net"
	"strconv"
	"testing"
	"time"
)

// respondStream delivers one stream record and fails the test unless it was accepted.
func respondStream(t *testing.T, b *Bridge, id uint64, kind uint8, status uint16, body string) {
	t.Helper()
	if refused, err := b.Respond(streamRecord(id, kind, status, body)); refused != 0 || err != nil {
		t.Fatalf("Respond = %d refused, %v", refused, err)
	}
}

func streamRecord(id uint64, kind uint8, status uint16, body string) []byte {
	return AppendResponse(nil, &Response{ID: id, Kind: kind, Status: status, Body: []byte(body)})
}

// startStream submits a request and answers it with a stream start; it returns the slot
// once Wait reported the answer.
func startStream(t *testing.T, b *Bridge) *Slot {
	t.Helper()
	s := submit(t, b, "")
	pollAll(t, b)
	if _, err := b.Respond(AppendResponse(nil, &Response{ID: s.ID(), Kind: KindStreamStart, Status: 200, ContentType: 2})); err != nil {
		t.Fatalf("Respond: %v", err)
	}
	if !b.Wait(s, time.Second) {
		t.Fatalf("Wait = false for a started stream")
	}
	if s.Reply.Kind != KindStreamStart || s.Stream == nil {
		t.Fatalf("reply kind %d, stream %v", s.Reply.Kind, s.Stream)
	}
	return s
}

func TestStreamDeliversChunksAndCredits(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	s := startStream(t, b)
	id := s.ID()
	var batch []byte
	for _, c := range []string{"ab", "", "cd"} {
		batch = append(batch, streamRecord(id, KindChunk, 0, c)...)
	}
	batch = append(batch, streamRecord(id, KindStreamEnd, 0, "")...)
	if refused, err := b.Respond(batch); refused != 0 || err != nil {
		t.Fatalf("Respond = %d, %v", refused, err)
	}
	got, err := io.ReadAll(s.Stream)
	if err != nil || string(got) != "abcd" {
		t.Fatalf("body %q, %v", got, err)
	}
	// Two chunks taken: fewer than CreditBatch, so no credit record yet.
	if recs := pollAll(t, b); len(recs) != 0 {
		t.Fatalf("want no credit record for 2 chunks, got %+v", recs)
	}
	if err := s.Stream.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if recs := pollAll(t, b); len(recs) != 0 {
		t.Fatalf("a complete stream must not be cancelled: %+v", recs)
	}
	if b.InFlight() != 0 {
		t.Fatalf("the slot was not released")
	}
	if refused, _ := b.Respond(streamRecord(id, KindChunk, 0, "late")); refused != 1 {
		t.Fatalf("a chunk after the end was accepted")
	}
}

// Credits go back in batches of CreditBatch, and a full window always gets all of its
// credits back once the client has read it: the generator can never stall on credits.
func TestStreamCreditsInBatches(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	s := startStream(t, b)
	id := s.ID()
	var batch []byte
	for range StreamWindow {
		batch = append(batch, streamRecord(id, KindChunk, 0, "x")...)
	}
	if refused, err := b.Respond(batch); refused != 0 || err != nil {
		t.Fatalf("Respond = %d, %v", refused, err)
	}
	buf := make([]byte, 1)
	read := func(n int) {
		for range n {
			if _, err := s.Stream.Read(buf); err != nil {
				t.Fatalf("Read: %v", err)
			}
		}
	}
	read(CreditBatch - 1)
	if recs := pollAll(t, b); len(recs) != 0 {
		t.Fatalf("credits before a batch was taken: %+v", recs)
	}
	read(1)
	recs := pollAll(t, b)
	if len(recs) != 1 || recs[0].Kind != KindCredit || recs[0].ID != id || recs[0].Flags != CreditBatch {
		t.Fatalf("want one credit record of %d, got %+v", CreditBatch, recs)
	}
	// Taken before the next poll: one record carries everything counted so far.
	read(StreamWindow - CreditBatch)
	recs = pollAll(t, b)
	if len(recs) != 1 || recs[0].Kind != KindCredit || recs[0].Flags != StreamWindow-CreditBatch {
		t.Fatalf("want one credit record of %d, got %+v", StreamWindow-CreditBatch, recs)
	}
	if err := s.Stream.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestStreamClosedEarlyCancelsPython(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	s := startStream(t, b)
	id := s.ID()
	if err := s.Stream.Close(); err != nil { // the client went away
		t.Fatalf("Close: %v", err)
	}
	recs := pollAll(t, b)
	if len(recs) != 1 || recs[0].Kind != KindCancel || recs[0].ID != id {
		t.Fatalf("want a cancel record, got %+v", recs)
	}
	if refused, _ := b.Respond(streamRecord(id, KindChunk, 0, "x")); refused != 1 {
		t.Fatalf("a chunk for a closed stream was accepted")
	}
}

func TestStreamFailureAbortsTheBody(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	s := startStream(t, b)
	batch := append(streamRecord(s.ID(), KindChunk, 0, "part"), streamRecord(s.ID(), KindStreamEnd, 1, "")...)
	if _, err := b.Respond(batch); err != nil {
		t.Fatalf("Respond: %v", err)
	}
	got, err := io.ReadAll(s.Stream)
	if string(got) != "part" || !errors.Is(err, ErrStreamAborted) {
		t.Fatalf("body %q, err %v; want the sent part then ErrStreamAborted", got, err)
	}
	_ = s.Stream.Close()
}

func TestStreamOverrunIsRefusedWithoutBlocking(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	s := startStream(t, b)
	var batch []byte
	for range StreamWindow + 2 { // more than the window plus the end record: a broken sender
		batch = append(batch, streamRecord(s.ID(), KindChunk, 0, "x")...)
	}
	refused, err := b.Respond(batch)
	if err != nil || refused == 0 {
		t.Fatalf("Respond = %d, %v; want refusals", refused, err)
	}
	buf := make([]byte, 64)
	for {
		if _, err := s.Stream.Read(buf); err != nil {
			if !errors.Is(err, ErrStreamAborted) {
				t.Fatalf("Read: %v, want ErrStreamAborted", err)
			}
			break
		}
	}
	_ = s.Stream.Close()
}

func TestAbandonAllAbortsStreams(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	s := startStream(t, b)
	b.AbandonAll()
	if _, err := s.Stream.Read(make([]byte, 8)); !errors.Is(err, ErrStreamAborted) {
		t.Fatalf("Read after AbandonAll: %v", err)
	}
	_ = s.Stream.Close()
	if b.InFlight() != 0 {
		t.Fatalf("the slot was not released")
	}
}

// goneConn is a net.Conn whose peer the probe reports as gone.
type goneConn struct{ net.Conn }

func TestProbeCancelsRequestsOfDepartedClients(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	b.ConnGone = func(c net.Conn) bool { _, gone := c.(goneConn); return gone }
	s := submit(t, b, "")
	s.Conn = goneConn{}
	pollAll(t, b)
	start := time.Now()
	if b.Wait(s, time.Minute) {
		t.Fatalf("Wait = true for a request whose client left")
	}
	if !s.ClientGone {
		t.Fatalf("ClientGone not set")
	}
	if waited := time.Since(start); waited >= time.Minute {
		t.Fatalf("abandoned only at the timeout (%s)", waited)
	}
	recs := pollAll(t, b)
	if len(recs) != 1 || recs[0].Kind != KindCancel || recs[0].ID != s.ID() {
		t.Fatalf("want a cancel record, got %+v", recs)
	}
	b.Release(s)
}

// writesRecorder keeps every Write separately: WriteTo must hand over one chunk per Write.
type writesRecorder struct{ writes []string }

func (w *writesRecorder) Write(p []byte) (int, error) {
	w.writes = append(w.writes, string(p))
	return len(p), nil
}

func TestStreamWriteToWritesEachChunkOnce(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	s := startStream(t, b)
	id := s.ID()
	big := string(make([]byte, 10000)) // larger than fasthttp's 4 KiB copy buffer: still one chunk
	var batch []byte
	for _, c := range []string{"ab", "", big, "cd"} {
		batch = append(batch, streamRecord(id, KindChunk, 0, c)...)
	}
	batch = append(batch, streamRecord(id, KindStreamEnd, 0, "")...)
	if refused, err := b.Respond(batch); refused != 0 || err != nil {
		t.Fatalf("Respond = %d, %v", refused, err)
	}
	var w writesRecorder
	n, err := s.Stream.WriteTo(&w)
	if err != nil || n != int64(4+len(big)) {
		t.Fatalf("WriteTo = %d, %v", n, err)
	}
	if len(w.writes) != 3 || w.writes[0] != "ab" || w.writes[1] != big || w.writes[2] != "cd" {
		t.Fatalf("writes %q", w.writes)
	}
	if err := s.Stream.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if recs := pollAll(t, b); len(recs) != 0 { // complete: no cancel; 3 chunks: no credit yet
		t.Fatalf("unexpected records %+v", recs)
	}
}

func TestStreamWriteToReportsAFailedGenerator(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	s := startStream(t, b)
	id := s.ID()
	batch := append(streamRecord(id, KindChunk, 0, "ab"), streamRecord(id, KindStreamEnd, 1, "")...)
	if refused, err := b.Respond(batch); refused != 0 || err != nil {
		t.Fatalf("Respond = %d, %v", refused, err)
	}
	var w writesRecorder
	if _, err := s.Stream.WriteTo(&w); !errors.Is(err, ErrStreamAborted) {
		t.Fatalf("WriteTo error %v, want ErrStreamAborted", err)
	}
	if len(w.writes) != 1 || w.writes[0] != "ab" {
		t.Fatalf("writes %q", w.writes)
	}
	_ = s.Stream.Close()
}

// WriteChunks frames each chunk itself (size line, data, CRLF) in one Write, skips empty
// chunks and ends with the last chunk; a failed generator gets no last chunk.
func TestStreamWriteChunksFramesEachChunkInOneWrite(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	s := startStream(t, b)
	id := s.ID()
	big := string(make([]byte, 0x1abc))
	var batch []byte
	for _, c := range []string{"ab", "", big, "0123456789abcdef"} {
		batch = append(batch, streamRecord(id, KindChunk, 0, c)...)
	}
	batch = append(batch, streamRecord(id, KindStreamEnd, 0, "")...)
	if refused, err := b.Respond(batch); refused != 0 || err != nil {
		t.Fatalf("Respond = %d, %v", refused, err)
	}
	var w writesRecorder
	if err := s.Stream.WriteChunks(&w); err != nil {
		t.Fatalf("WriteChunks: %v", err)
	}
	want := []string{"2\r\nab\r\n", "1abc\r\n" + big + "\r\n", "10\r\n0123456789abcdef\r\n", "0\r\n\r\n"}
	if len(w.writes) != len(want) {
		t.Fatalf("writes %q", w.writes)
	}
	for i := range want {
		if w.writes[i] != want[i] {
			t.Fatalf("write %d = %q, want %q", i, w.writes[i], want[i])
		}
	}
	_ = s.Stream.Close()
	if recs := pollAll(t, b); len(recs) != 0 { // complete: no cancel
		t.Fatalf("unexpected records %+v", recs)
	}

	s = startStream(t, b)
	batch = append(streamRecord(s.ID(), KindChunk, 0, "ab"), streamRecord(s.ID(), KindStreamEnd, 1, "")...)
	if refused, err := b.Respond(batch); refused != 0 || err != nil {
		t.Fatalf("Respond = %d, %v", refused, err)
	}
	w = writesRecorder{}
	if err := s.Stream.WriteChunks(&w); !errors.Is(err, ErrStreamAborted) {
		t.Fatalf("WriteChunks error %v, want ErrStreamAborted", err)
	}
	if len(w.writes) != 1 || w.writes[0] != "2\r\nab\r\n" {
		t.Fatalf("writes %q", w.writes)
	}
	_ = s.Stream.Close()
}

func TestFrameChunkSizeLines(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 15, 16, 255, 4096, 1 << 20} {
		f, start := frameChunk(make([]byte, n))
		line := string(f[start:chunkRoom])
		if want := strconv.FormatInt(int64(n), 16) + "\r\n"; line != want {
			t.Fatalf("size line for %d = %q, want %q", n, line, want)
		}
		if string(f[len(f)-2:]) != "\r\n" || len(f) != chunkRoom+n+2 {
			t.Fatalf("frame of %d bytes is %d long", n, len(f))
		}
	}
}
