package bridge

import "testing"

// BenchmarkRoundTrip is one request through the bridge without Python: encode, enqueue
// (acquire and submit), poll, respond, wait, release, in batches of 32 as under load. It prices the
// queue and delivery paths that every request takes (the WebSocket kinds added branches
// to Poll and deliver; issue 17 measured them with this).
func BenchmarkRoundTrip(b *testing.B) {
	br := New(nopWaker{}, 64)
	const batch = 32
	slots := make([]*Slot, batch)
	poll := make([]byte, 1<<16)
	var out, rec []byte
	req := Request{Kind: KindRequest, Method: MethodGET, Path: []byte("/hello")}
	resp := Response{Kind: KindResponse, ContentType: ContentTypeJSON, Status: 200, Body: []byte(`{"message":"Hello, World!"}`)}
	b.ReportAllocs()
	for i := 0; i < b.N; i += batch {
		out = out[:0]
		for j := range slots {
			// As the server does it: the record encoded into the connection's buffer,
			// then Enqueue (which hands the slot's previous buffer back for the next one).
			rec = AppendRequest(rec[:0], &req)
			s, prev, err := br.Enqueue(rec, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			rec = prev
			slots[j] = s
			resp.ID = s.ID()
			out = AppendResponse(out, &resp)
		}
		if n := br.Poll(poll); n <= 0 {
			b.Fatalf("poll %d", n)
		}
		if refused, err := br.Respond(out); err != nil || refused != 0 {
			b.Fatalf("respond: %d %v", refused, err)
		}
		for _, s := range slots {
			<-s.done
			br.Release(s)
		}
	}
}

type nopWaker struct{}

func (nopWaker) Wake()  {}
func (nopWaker) Reset() {}
