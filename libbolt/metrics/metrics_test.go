package metrics

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
)

func scrape(r *Registry) string {
	var b bytes.Buffer
	r.WritePrometheus(&b)
	return b.String()
}

func TestRequestsByRouteTemplateAndStatus(t *testing.T) {
	t.Parallel()
	r := New([]RouteSpec{{ID: 0, Method: "GET", Path: "/items/{id}"}, {ID: 1, Method: "POST", Path: `/q"uote`}, {ID: 2, Method: "GET", Path: "/never"}},
		[]string{"/health"}, Sources{OpenConnections: func() int64 { return 3 }})
	for _, status := range []int{200, 200, 404, 418, 799} {
		r.Begin()
		r.End(r.Route(0), status, 2*time.Millisecond)
	}
	r.Route(0).ObserveHandler(time.Millisecond)
	r.Begin()
	r.End(r.Unrouted([]byte("BREW"), []byte("/nope/123")), 404, time.Millisecond)
	r.Begin()
	r.End(r.Unrouted([]byte("GET"), []byte("/health")), 200, time.Millisecond)
	r.Begin() // still in flight
	r.Route(1).status(200)
	out := scrape(r)
	if !strings.Contains(out, `route="/q\"uote",method="POST",status="200"} 0`) {
		t.Error("label value not escaped")
	}
	for _, want := range []string{
		`bolt_requests_total{route="/items/{id}",method="GET",status="200"} 2`,
		`bolt_requests_total{route="/items/{id}",method="GET",status="404"} 1`,
		`bolt_requests_total{route="/items/{id}",method="GET",status="4xx"} 1`,
		`bolt_requests_total{route="/items/{id}",method="GET",status="other"} 1`,
		`bolt_requests_total{route="<unmatched>",method="OTHER",status="404"} 1`,
		`bolt_requests_total{route="/health",method="GET",status="200"} 1`,
		`bolt_request_duration_seconds_count{route="/items/{id}",method="GET"} 5`,
		`bolt_handler_duration_seconds_count{route="/items/{id}",method="GET"} 1`,
		"bolt_requests_in_flight 1",
		"bolt_open_connections 3",
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(out, want+"\n") && !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, `/never`) {
		t.Error("a route never called has series")
	}
	if strings.Contains(out, "/nope/123") {
		t.Error("a raw path became a label value")
	}
}

func TestBridgeGauges(t *testing.T) {
	t.Parallel()
	b := bridge.New(nopWaker{}, 4)
	r := New(nil, nil, Sources{Bridge: b})
	out := scrape(r)
	for _, want := range []string{"bolt_bridge_queue_depth 0", "bolt_bridge_polls_total 0", `bolt_bridge_batch_size_bucket{le="+Inf"} 0`, "bolt_bridge_batch_size_count 0", "bolt_bridge_stream_chunks_direct_total 0", "bolt_bridge_stream_chunks_queued_total 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}

type nopWaker struct{}

func (nopWaker) Wake()  {}
func (nopWaker) Reset() {}

func BenchmarkEnd(b *testing.B) {
	r := New([]RouteSpec{{ID: 0, Method: "GET", Path: "/hello"}}, nil, Sources{})
	rt := r.Route(0)
	r.End(rt, 200, time.Millisecond)
	for b.Loop() {
		r.Begin()
		r.End(rt, 200, time.Millisecond)
	}
}
