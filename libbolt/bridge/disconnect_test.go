package bridge

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestGoneClientAbandonsTheRequestAndCancelsIt(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	var gone atomic.Bool
	s, _ := b.Acquire()
	s.Req = AppendRequest(s.Req[:0], &Request{ID: s.ID(), Kind: KindRequest, Method: 1})
	b.SubmitWatched(s, gone.Load)
	id := s.ID()
	if got := pollAll(t, b); len(got) != 1 || got[0].ID != id {
		t.Fatalf("polled %+v", got)
	}
	go func() {
		time.Sleep(5 * goneCheckEvery * SweepInterval / 2)
		gone.Store(true)
	}()
	if b.Wait(s, time.Minute) {
		t.Fatal("Wait returned true for a request nobody answered")
	}
	if !s.Disconnected() {
		t.Fatal("not marked disconnected")
	}
	got := pollAll(t, b)
	if len(got) != 1 || got[0].Kind != KindCancel || got[0].ID != id {
		t.Fatalf("want one cancel record for %d, got %+v", id, got)
	}
	if refused, err := b.Respond(answer(id, "late")); refused != 1 || err != nil {
		t.Fatalf("late answer: refused %d, %v", refused, err)
	}
	b.Release(s)
	again, _ := b.Acquire()
	if again.Disconnected() {
		t.Fatal("a reused slot is still marked disconnected")
	}
	b.Release(again)
}

func TestConnectedClientIsLeftAlone(t *testing.T) {
	t.Parallel()
	b := New(&flagWaker{}, 4)
	var checks atomic.Int32
	s, _ := b.Acquire()
	s.Req = AppendRequest(s.Req[:0], &Request{ID: s.ID(), Kind: KindRequest, Method: 1})
	b.SubmitWatched(s, func() bool { checks.Add(1); return false })
	pollAll(t, b)
	go func() {
		for checks.Load() < 2 {
			time.Sleep(SweepInterval)
		}
		if _, err := b.Respond(answer(s.ID(), "ok")); err != nil {
			t.Errorf("Respond: %v", err)
		}
	}()
	if !b.Wait(s, time.Minute) || s.Disconnected() {
		t.Fatal("a connected client's request was abandoned")
	}
	b.Release(s)
}
