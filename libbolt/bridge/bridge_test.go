package bridge

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// flagWaker records the eventfd's state without a descriptor: Wake sets it, Reset clears it.
type flagWaker struct {
	set   atomic.Bool
	wakes atomic.Int32
}

func (w *flagWaker) Wake()  { w.set.Store(true); w.wakes.Add(1) }
func (w *flagWaker) Reset() { w.set.Store(false) }

// submit acquires a slot, encodes a request record carrying body and queues it.
func submit(t *testing.T, b *Bridge, body string) *Slot {
	t.Helper()
	s, err := b.Acquire()
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	s.Req = AppendRequest(s.Req[:0], &Request{ID: s.ID(), Kind: KindRequest, Method: 1, Body: []byte(body)})
	b.Submit(s)
	return s
}

func answer(id uint64, body string) []byte {
	return AppendResponse(nil, &Response{ID: id, Kind: KindResponse, Status: 200, ContentType: 2, Body: []byte(body)})
}

// pollAll drains the queue and decodes every record.
func pollAll(t *testing.T, b *Bridge) []Request {
	t.Helper()
	buf := make([]byte, 1<<16)
	n := b.Poll(buf)
	if n < 0 {
		t.Fatalf("Poll = %d with a %d-byte buffer", n, len(buf))
	}
	return decodeAll(t, buf[:n])
}

func decodeAll(t *testing.T, batch []byte) []Request {
	t.Helper()
	var out []Request
	for len(batch) > 0 {
		r, n, err := DecodeRequest(batch)
		if err != nil {
			t.Fatalf("DecodeRequest: %v", err)
		}
		out = append(out, r)
		batch = batch[n:]
	}
	return out
}

func TestIDCarriesGeneration(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	s1, _ := b.Acquire()
	id1 := s1.ID()
	b.Release(s1)
	s2, _ := b.Acquire()
	if s2 != s1 {
		t.Fatalf("a released slot was not reused")
	}
	if uint32(s2.ID()) != uint32(id1) {
		t.Fatalf("slot index changed: %#x -> %#x", id1, s2.ID())
	}
	if s2.ID() == id1 || s2.ID()>>32 != id1>>32+1 {
		t.Fatalf("generation did not advance: %#x -> %#x", id1, s2.ID())
	}
	if id1>>32 == 0 {
		t.Fatalf("generation 0 used: id %#x", id1)
	}
}

func TestRespondRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// batch builds the response batch from the live request's id and the id of an
		// earlier use of the same slot.
		batch       func(live, old uint64) []byte
		wantRefused int
		wantBody    string // "" means the live request must still be unanswered
	}{
		{"old generation of a reused slot", func(live, old uint64) []byte { return answer(old, "stale") }, 1, ""},
		{"unknown index", func(live, old uint64) []byte { return answer(live&^0xffffffff|99, "x") }, 1, ""},
		{"unknown generation ahead", func(live, old uint64) []byte { return answer(live+1<<32, "x") }, 1, ""},
		{"duplicate in one batch", func(live, old uint64) []byte {
			return append(answer(live, "first"), answer(live, "second")...)
		}, 1, "first"},
		{"old then live", func(live, old uint64) []byte {
			return append(answer(old, "stale"), answer(live, "fresh")...)
		}, 1, "fresh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := New(&flagWaker{}, 4)
			old := submit(t, b, "old")
			oldID := old.ID()
			b.Release(old) // e.g. it timed out; the slot is now reused
			live := submit(t, b, "live")
			if live != old {
				t.Fatalf("slot not reused")
			}
			refused, err := b.Respond(tt.batch(live.ID(), oldID))
			if err != nil || refused != tt.wantRefused {
				t.Fatalf("Respond = %d, %v; want %d refused", refused, err, tt.wantRefused)
			}
			if tt.wantBody == "" {
				if len(live.Reply.Body) != 0 || live.Reply.Status != 0 {
					t.Fatalf("a refused answer touched the live request: %+v", live.Reply)
				}
				if refused, _ := b.Respond(answer(live.ID(), "mine")); refused != 0 {
					t.Fatalf("the live request's own answer was refused")
				}
				tt.wantBody = "mine"
			}
			if !b.Wait(live, 5*time.Second) {
				t.Fatalf("Wait = false for an answered request")
			}
			if string(live.Reply.Body) != tt.wantBody || live.Reply.Status != 200 || live.Reply.ContentType != 2 {
				t.Fatalf("reply = %+v, want body %q", live.Reply, tt.wantBody)
			}
			if refused, _ := b.Respond(answer(live.ID(), "again")); refused != 1 {
				t.Fatalf("an answer after Wait returned was accepted")
			}
			if string(live.Reply.Body) != tt.wantBody {
				t.Fatalf("a refused answer overwrote the reply: %q", live.Reply.Body)
			}
		})
	}
}

func TestRespondMalformedBatch(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	s := submit(t, b, "x")
	batch := append(answer(s.ID(), "ok"), answer(s.ID()+1<<32, "ignored")[:ResponseHeaderSize-1]...)
	refused, err := b.Respond(batch)
	if !errors.Is(err, ErrShortRecord) || refused != 0 {
		t.Fatalf("Respond = %d, %v; want 0, ErrShortRecord", refused, err)
	}
	if !b.Wait(s, 5*time.Second) || string(s.Reply.Body) != "ok" {
		t.Fatalf("the record before the malformed one was not delivered: %+v", s.Reply)
	}
}

func TestRespondCopiesOutOfBatch(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	s := submit(t, b, "x")
	batch := AppendResponse(nil, &Response{ID: s.ID(), Kind: KindResponse, Status: 201, Headers: []byte("a\x00b"), Body: []byte("body")})
	if refused, err := b.Respond(batch); refused != 0 || err != nil {
		t.Fatalf("Respond = %d, %v", refused, err)
	}
	clear(batch) // Python reuses its buffer as soon as the call returns
	if !b.Wait(s, 5*time.Second) {
		t.Fatalf("Wait = false")
	}
	if string(s.Reply.Headers) != "a\x00b" || string(s.Reply.Body) != "body" || s.Reply.Status != 201 {
		t.Fatalf("reply aliases the batch buffer: %+v", s.Reply)
	}
}

func TestWaitTimeoutQueuesCancel(t *testing.T) {
	t.Parallel()
	for _, polledFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("polled before timeout=%v", polledFirst), func(t *testing.T) {
			t.Parallel()
			b := New(&flagWaker{}, 4)
			s := submit(t, b, "slow")
			id := s.ID()
			if polledFirst {
				if recs := pollAll(t, b); len(recs) != 1 || recs[0].Kind != KindRequest || recs[0].ID != id {
					t.Fatalf("Poll = %+v, want the request", recs)
				}
			}
			if b.Wait(s, 10*time.Millisecond) {
				t.Fatalf("Wait = true without an answer")
			}
			// The request record (if still queued) is dropped; the cancel is delivered.
			recs := pollAll(t, b)
			if len(recs) != 1 || recs[0].Kind != KindCancel || recs[0].ID != id {
				t.Fatalf("Poll after timeout = %+v, want one cancel for %#x", recs, id)
			}
			if refused, err := b.Respond(answer(id, "late")); refused != 1 || err != nil {
				t.Fatalf("late answer: Respond = %d, %v; want 1 refused", refused, err)
			}
			if len(s.Reply.Body) != 0 {
				t.Fatalf("a late answer was copied in: %q", s.Reply.Body)
			}
			b.Release(s)
			if refused, _ := b.Respond(answer(id, "later")); refused != 1 {
				t.Fatalf("an answer to a released slot was accepted")
			}
		})
	}
}

func TestAbandonAllWakesWaiters(t *testing.T) {
	t.Parallel()
	const n = 8
	b := New(&flagWaker{}, n)
	slots := make([]*Slot, n)
	for i := range slots {
		slots[i] = submit(t, b, fmt.Sprint(i))
	}
	results := make(chan bool, n)
	for _, s := range slots {
		go func() { results <- b.Wait(s, time.Minute) }()
	}
	if got := b.AbandonAll(); got != n {
		t.Fatalf("AbandonAll = %d, want %d", got, n)
	}
	deadline := time.After(10 * time.Second)
	for range n {
		select {
		case ok := <-results:
			if ok {
				t.Fatalf("Wait = true for an abandoned request")
			}
		case <-deadline:
			t.Fatalf("AbandonAll did not wake every waiter")
		}
	}
	if got := b.AbandonAll(); got != 0 {
		t.Fatalf("second AbandonAll = %d, want 0", got)
	}
	if recs := pollAll(t, b); len(recs) != 0 {
		t.Fatalf("records of abandoned requests were delivered: %+v", recs)
	}
	if refused, _ := b.Respond(answer(slots[0].ID(), "late")); refused != 1 {
		t.Fatalf("an answer to an abandoned request was accepted")
	}
}

// Pins a fix: after AbandonAll (a stop that ran out of grace) Python may close the eventfd
// at any moment, so nothing may be queued or woken any more, and no slot may be reused:
// AbandonAll's signal to a slot whose goroutine never reached Wait (a 400 after Acquire)
// would otherwise fail the slot's next request and block the next Respond for good.
func TestAbandonAllClosesTheBridge(t *testing.T) {
	t.Parallel()
	w := &flagWaker{}
	b := New(w, 4)
	idle, _ := b.Acquire() // acquired, never submitted nor waited
	late, _ := b.Acquire() // submitted only after AbandonAll
	late.Req = AppendRequest(late.Req[:0], &Request{ID: late.ID(), Kind: KindRequest})
	if got := b.AbandonAll(); got != 2 {
		t.Fatalf("AbandonAll = %d, want 2", got)
	}
	b.Release(idle)

	if s, err := b.Acquire(); !errors.Is(err, ErrClosed) || s != nil {
		t.Fatalf("Acquire after AbandonAll = %v, %v; want ErrClosed", s, err)
	}
	b.Submit(late)
	if b.Wait(late, time.Minute) {
		t.Fatalf("Wait = true for an abandoned request")
	}
	if w.wakes.Load() != 0 {
		t.Fatalf("the eventfd was woken after AbandonAll")
	}
	if n := b.Poll(make([]byte, 1024)); n != 0 {
		t.Fatalf("Poll after AbandonAll = %d, want 0", n)
	}
	responded := make(chan int, 1)
	go func() {
		refused, _ := b.Respond(append(answer(idle.ID(), "x"), answer(late.ID(), "y")...))
		responded <- refused
	}()
	select {
	case refused := <-responded:
		if refused != 2 {
			t.Fatalf("Respond after AbandonAll refused %d, want 2", refused)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("Respond blocked")
	}
}

func TestAcquireFullAndRelease(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 2)
	s1, err1 := b.Acquire()
	_, err2 := b.Acquire()
	if err1 != nil || err2 != nil {
		t.Fatalf("Acquire below the cap: %v, %v", err1, err2)
	}
	if s, err := b.Acquire(); !errors.Is(err, ErrFull) || s != nil {
		t.Fatalf("Acquire at the cap = %v, %v; want ErrFull", s, err)
	}
	if got := b.InFlight(); got != 2 {
		t.Fatalf("InFlight = %d, want 2", got)
	}
	b.Release(s1)
	if _, err := b.Acquire(); err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
}

func TestPollFirstRecordTooBig(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	s := submit(t, b, string(make([]byte, 100)))
	size := len(s.Req)
	for _, capacity := range []int{0, 1, RequestHeaderSize, size - 1} {
		if n := b.Poll(make([]byte, capacity)); n != -size {
			t.Fatalf("Poll with %d bytes = %d, want %d", capacity, n, -size)
		}
	}
	if n := b.Poll(make([]byte, size)); n != size {
		t.Fatalf("Poll with exactly %d bytes = %d", size, n)
	}
}

func TestPollPartialBatches(t *testing.T) {
	t.Parallel()
	w := &flagWaker{}
	b := New(w, 8)
	var ids []uint64
	for i := range 5 {
		ids = append(ids, submit(t, b, fmt.Sprintf("body-%d", i)).ID())
	}
	if w.wakes.Load() != 1 || !w.set.Load() {
		t.Fatalf("five submits woke %d times (set=%v); want exactly one wake", w.wakes.Load(), w.set.Load())
	}
	recSize := RequestHeaderSize + len("body-0")
	buf := make([]byte, 2*recSize+recSize/2) // room for two and a half
	var got []uint64
	for round := 1; len(got) < len(ids); round++ {
		if round > 3 {
			t.Fatalf("queue not drained after 3 polls: got %d of %d", len(got), len(ids))
		}
		n := b.Poll(buf)
		recs := decodeAll(t, buf[:n])
		if want := min(2, len(ids)-len(got)); len(recs) != want {
			t.Fatalf("poll %d returned %d records, want %d", round, len(recs), want)
		}
		for _, r := range recs {
			got = append(got, r.ID)
			if string(r.Body) != fmt.Sprintf("body-%d", len(got)-1) {
				t.Fatalf("record %d has body %q", len(got)-1, r.Body)
			}
		}
		if more := len(got) < len(ids); w.set.Load() != more {
			t.Fatalf("after poll %d the wake flag is %v, want %v", round, w.set.Load(), more)
		}
	}
	for i := range ids {
		if got[i] != ids[i] {
			t.Fatalf("records out of order: %#x, want %#x", got, ids)
		}
	}
	if n := b.Poll(buf); n != 0 {
		t.Fatalf("Poll on an empty queue = %d", n)
	}
	submit(t, b, "again")
	if w.wakes.Load() != 2 {
		t.Fatalf("submit onto an emptied queue did not wake")
	}
}

func TestPollDropsAbandonedRecords(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	gone := submit(t, b, "gone")
	kept := submit(t, b, "kept")
	if b.Wait(gone, time.Millisecond) {
		t.Fatalf("Wait = true without an answer")
	}
	recs := pollAll(t, b)
	if len(recs) != 2 {
		t.Fatalf("Poll = %+v, want the live request and one cancel", recs)
	}
	if recs[0].Kind != KindRequest || recs[0].ID != kept.ID() || string(recs[0].Body) != "kept" {
		t.Fatalf("first record = %+v, want the kept request", recs[0])
	}
	if recs[1].Kind != KindCancel || recs[1].ID != gone.ID() {
		t.Fatalf("second record = %+v, want the cancel", recs[1])
	}
}

// Pins a fix: when the records ahead of a too-big one were all dropped, Poll reports the
// size the caller must grow to instead of an empty batch.
func TestPollTooBigAfterDroppedRecords(t *testing.T) {
	t.Parallel()
	w := &flagWaker{}
	b := New(w, 4)
	gone := submit(t, b, "gone")
	b.Release(gone) // its record stays queued under the old generation
	big := submit(t, b, string(make([]byte, 200)))
	small := make([]byte, 100)
	if n := b.Poll(small); n != -len(big.Req) {
		t.Fatalf("Poll = %d, want %d", n, -len(big.Req))
	}
	if !w.set.Load() {
		t.Fatalf("wake flag cleared while a record is still queued")
	}
	recs := pollAll(t, b)
	if len(recs) != 1 || recs[0].ID != big.ID() {
		t.Fatalf("Poll = %+v, want only the big request", recs)
	}
	if w.set.Load() {
		t.Fatalf("wake flag still set on an empty queue")
	}
}

func TestReadBodyOnlyWhileWaiting(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	body := []byte("a body too big for the record")
	s, err := b.Acquire()
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	s.Body = body
	s.Req = AppendRequest(s.Req[:0], &Request{ID: s.ID(), Kind: KindRequest, BodyApart: uint32(len(body))})
	b.Submit(s)
	recs := pollAll(t, b)
	if len(recs) != 1 || recs[0].BodyApart != uint32(len(body)) || len(recs[0].Body) != 0 {
		t.Fatalf("Poll = %+v, want one record with its body apart", recs)
	}
	dst := make([]byte, len(body))
	if n := b.ReadBody(s.ID(), dst[:len(body)-1]); n != -1 {
		t.Fatalf("ReadBody into a short buffer = %d", n)
	}
	if n := b.ReadBody(s.ID()+1<<32, dst); n != -1 {
		t.Fatalf("ReadBody with another generation = %d", n)
	}
	if n := b.ReadBody(1<<32|99, dst); n != -1 {
		t.Fatalf("ReadBody of an unknown slot = %d", n)
	}
	if n := b.ReadBody(s.ID(), dst); n != len(body) || string(dst) != string(body) {
		t.Fatalf("ReadBody = %d, %q", n, dst)
	}
	if b.Wait(s, time.Millisecond) { // abandoned: the body may be reused from now on
		t.Fatalf("Wait = true without an answer")
	}
	if n := b.ReadBody(s.ID(), dst); n != -1 {
		t.Fatalf("ReadBody of an abandoned request = %d", n)
	}
	b.Release(s)
	if s.Body != nil {
		t.Fatalf("Release kept the apart body")
	}
}

func TestStatsCountBatches(t *testing.T) {
	t.Parallel()
	var st Stats
	for _, n := range []int{1, 2, 3, 4, 5, 5000} {
		st.observe(n)
	}
	if st.Polls.Load() != 6 || st.Records.Load() != 5015 {
		t.Fatalf("polls %d records %d", st.Polls.Load(), st.Records.Load())
	}
	want := map[int]uint64{0: 1, 1: 1, 2: 2, 3: 1, BatchBuckets - 1: 1}
	for i := range BatchBuckets {
		if got := st.Batches[i].Load(); got != want[i] {
			t.Errorf("bucket %d: %d, want %d", i, got, want[i])
		}
	}
}

// Enqueue takes a slot and queues an encoded record in one step: the id is filled in, the
// slot's previous buffer comes back, and a full bridge hands the record back untouched.
func TestEnqueue(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 1)
	rec := AppendRequest(nil, &Request{Kind: KindRequest, Method: 1, Body: []byte("first")})
	s, prev, err := b.Enqueue(rec, nil, nil)
	if err != nil || len(prev) != 0 {
		t.Fatalf("Enqueue = %v, prev %q", err, prev)
	}
	reqs := pollAll(t, b)
	if len(reqs) != 1 || reqs[0].ID != s.ID() || string(reqs[0].Body) != "first" {
		t.Fatalf("polled %+v, want the record with id %#x", reqs, s.ID())
	}
	second := AppendRequest(nil, &Request{Kind: KindRequest, Method: 1, Body: []byte("second")})
	if _, back, err := b.Enqueue(second, nil, nil); !errors.Is(err, ErrFull) || &back[0] != &second[0] {
		t.Fatalf("Enqueue on a full bridge = %v (record handed back: %v)", err, &back[0] == &second[0])
	}
	if _, err := b.Respond(answer(s.ID(), "ok")); err != nil || !b.Wait(s, 5*time.Second) {
		t.Fatalf("the enqueued request was not answered: %v", err)
	}
	oldID := s.ID()
	b.Release(s)
	s2, prev, err := b.Enqueue(second, []byte("apart"), nil)
	if err != nil || s2 != s || s2.ID() == oldID {
		t.Fatalf("Enqueue after Release = %v", err)
	}
	if cap(prev) == 0 || &prev[:1][0] != &rec[0] {
		t.Fatalf("the slot's previous record buffer was not handed back")
	}
	if string(s2.Body) != "apart" {
		t.Fatalf("apart body %q", s2.Body)
	}
}

// A batch longer than one run (respondRun replies claimed under one lock), with socket and
// refused records among them: every reply reaches its slot, the refusals are counted.
func TestRespondAcrossRuns(t *testing.T) {
	t.Parallel()
	const n = 2*respondRun + 7
	b := New(&flagWaker{}, n)
	slots := make([]*Slot, n)
	var batch []byte
	for i := range slots {
		slots[i] = submit(t, b, "x")
		batch = append(batch, answer(slots[i].ID(), fmt.Sprint(i))...)
		if i%50 == 0 { // a record for no socket (refused), delivered apart from the run
			batch = AppendResponse(batch, &Response{ID: slots[i].ID(), Kind: KindSocketSend, ContentType: SocketText})
		}
		if i%30 == 0 { // a stale id
			batch = append(batch, answer(slots[i].ID()+1<<32, "stale")...)
		}
	}
	refused, err := b.Respond(batch)
	if err != nil || refused != (n+49)/50+(n+29)/30 {
		t.Fatalf("Respond = %d, %v", refused, err)
	}
	for i, s := range slots {
		if !b.Wait(s, 5*time.Second) || string(s.Reply.Body) != fmt.Sprint(i) {
			t.Fatalf("slot %d: reply %q", i, s.Reply.Body)
		}
	}
}

// HandlerTime spans the poll that took a request to the respond that answered it; a
// request answered without being polled (or never answered) has none.
func TestHandlerTime(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	s := submit(t, b, "x")
	pollAll(t, b)
	time.Sleep(20 * time.Millisecond) // Python works on it
	if _, err := b.Respond(answer(s.ID(), "ok")); err != nil || !b.Wait(s, 5*time.Second) {
		t.Fatalf("not answered: %v", err)
	}
	if d := s.HandlerTime(); d < 20*time.Millisecond {
		t.Fatalf("HandlerTime = %v, want at least the 20 ms between poll and respond", d)
	}
	b.Release(s)
	s = submit(t, b, "y") // answered before any poll (as a test client may)
	if _, err := b.Respond(answer(s.ID(), "ok")); err != nil || !b.Wait(s, 5*time.Second) {
		t.Fatalf("not answered: %v", err)
	}
	if d := s.HandlerTime(); d != 0 {
		t.Fatalf("HandlerTime of an unpolled request = %v", d)
	}
}
