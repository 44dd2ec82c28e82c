package bridge

import "testing"

// BenchmarkRoundTrip is one request through the bridge without Python: acquire, encode,
// submit, poll, respond, wait, release, in batches of 32 as under load. It prices the
// queue and delivery paths that every request takes (the WebSocket kinds added branches
// to Poll and deliver; issue 17 measured them with this).
func BenchmarkRoundTrip(b *testing.B) {
	br := New(nopWaker{}, 64)
	const batch = 32
	slots := make([]*Slot, batch)
	poll := make([]byte, 1<<16)
	var out []byte
	req := Request{Kind: KindRequest, Method: MethodGET, Path: []byte("/hello")}
	resp := Response{Kind: KindResponse, ContentType: ContentTypeJSON, Status: 200, Body: []byte(`{"message":"Hello, World!"}`)}
	b.ReportAllocs()
	for i := 0; i < b.N; i += batch {
		out = out[:0]
		for j := range slots {
			s, err := br.Acquire()
			if err != nil {
				b.Fatal(err)
			}
			req.ID = s.ID()
			s.Req = AppendRequest(s.Req[:0], &req)
			br.Submit(s)
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
