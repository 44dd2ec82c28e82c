package bridge

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/testutil"
)

func readable(t *testing.T, fd int, wait time.Duration) bool {
	t.Helper()
	ok, err := testutil.WaitReadable(fd, wait)
	if err != nil {
		t.Errorf("waiting for fd %d: %v", fd, err)
	}
	return ok
}

func newEventFD(t *testing.T) *EventFD {
	t.Helper()
	efd, err := NewEventFD()
	if err != nil {
		t.Fatalf("NewEventFD: %v", err)
	}
	t.Cleanup(func() {
		if err := efd.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return efd
}

func TestEventFDWakeReset(t *testing.T) {
	t.Parallel()
	efd := newEventFD(t)
	fd := efd.FD()
	if readable(t, fd, 0) {
		t.Fatalf("a new eventfd is readable")
	}
	efd.Reset() // clearing a clear eventfd must not block
	efd.Wake()
	efd.Wake()
	if !readable(t, fd, time.Second) {
		t.Fatalf("not readable after Wake")
	}
	efd.Reset()
	if readable(t, fd, 0) {
		t.Fatalf("readable after Reset")
	}
}

// Producers submit concurrently while one consumer sleeps in select(2) on the eventfd and
// only polls when it becomes readable. A lost wake-up leaves a request queued with the fd
// clear, so its producer's Wait times out and the test fails.
func TestNoLostWakeups(t *testing.T) {
	t.Parallel()
	const producers, perProducer = 4, 300
	efd := newEventFD(t)
	b := New(efd, producers)

	stop := make(chan struct{})
	consumerDone := make(chan struct{})
	go func() {
		defer close(consumerDone)
		consume(t, b, efd.FD(), stop)
	}()

	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perProducer {
				if !roundTrip(t, b, fmt.Sprintf("p%d-r%d", p, i)) {
					return
				}
			}
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(60 * time.Second):
		t.Errorf("producers did not finish")
	}
	close(stop)
	<-consumerDone
	<-finished
	if got := b.InFlight(); got != 0 {
		t.Errorf("InFlight = %d after every request finished", got)
	}
	if readable(t, efd.FD(), 0) {
		t.Errorf("eventfd readable with an empty queue")
	}
}

// roundTrip sends one request and checks that it got its own reply.
func roundTrip(t *testing.T, b *Bridge, tag string) bool {
	s, err := b.Acquire()
	if err != nil {
		t.Errorf("%s: Acquire: %v", tag, err)
		return false
	}
	defer b.Release(s)
	id := s.ID()
	s.Req = AppendRequest(s.Req[:0], &Request{ID: id, Kind: KindRequest, Body: []byte(tag)})
	b.Submit(s)
	if !b.Wait(s, 10*time.Second) {
		t.Errorf("%s (id %#x): no reply; a wake-up was lost", tag, id)
		return false
	}
	if want := fmt.Sprintf("%s/%d", tag, id); string(s.Reply.Body) != want {
		t.Errorf("%s: reply %q, want %q", tag, s.Reply.Body, want)
		return false
	}
	return true
}

// consume plays the Python loop: wait for readability, poll one batch, answer it.
func consume(t *testing.T, b *Bridge, fd int, stop <-chan struct{}) {
	buf := make([]byte, 128) // two records: batches are often partial
	var out []byte
	for {
		select {
		case <-stop:
			return
		default:
		}
		if !readable(t, fd, 50*time.Millisecond) {
			continue
		}
		n := b.Poll(buf)
		if n < 0 {
			buf = make([]byte, -n)
			n = b.Poll(buf)
		}
		if n == 0 {
			t.Errorf("eventfd readable but Poll returned nothing")
			return
		}
		out = out[:0]
		for batch := buf[:n]; len(batch) > 0; {
			r, m, err := DecodeRequest(batch)
			if err != nil {
				t.Errorf("DecodeRequest: %v", err)
				return
			}
			batch = batch[m:]
			if r.Kind != KindRequest {
				t.Errorf("unexpected record kind %d", r.Kind)
				continue
			}
			body := fmt.Appendf(bytes.Clone(r.Body), "/%d", r.ID)
			out = AppendResponse(out, &Response{ID: r.ID, Kind: KindResponse, Status: 200, Body: body})
		}
		if refused, err := b.Respond(out); refused != 0 || err != nil {
			t.Errorf("Respond = %d refused, %v", refused, err)
		}
	}
}
