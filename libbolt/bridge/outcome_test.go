package bridge

import "testing"

// An owner that never parks in Wait takes the answer Respond delivered with Outcome, and
// the slot can be released and reused as usual.
func TestOutcomeWithoutWait(t *testing.T) {
	b := New(nopWaker{}, 4)
	for round := 0; round < 3; round++ {
		s, err := b.Acquire()
		if err != nil {
			t.Fatal(err)
		}
		s.Req = AppendRequest(s.Req[:0], &Request{ID: s.ID(), Kind: KindRequest, Path: []byte("/x")})
		b.Submit(s)
		buf := make([]byte, 1024)
		n := b.Poll(buf)
		r, _, err := DecodeRequest(buf[:n])
		if err != nil || r.ID != s.ID() {
			t.Fatalf("polled %+v, %v", r, err)
		}
		batch := AppendResponse(nil, &Response{ID: r.ID, Kind: KindResponse, ContentType: ContentTypeJSON, Status: 201, Body: []byte("{}")})
		if refused, err := b.Respond(batch); refused != 0 || err != nil {
			t.Fatalf("respond: %d refused, %v", refused, err)
		}
		if !s.Outcome() || s.Reply.Status != 201 || string(s.Reply.Body) != "{}" {
			t.Fatalf("outcome: status %d body %q", s.Reply.Status, s.Reply.Body)
		}
		b.Release(s)
	}
	if n := b.InFlight(); n != 0 {
		t.Fatalf("%d slots still in use", n)
	}
}
