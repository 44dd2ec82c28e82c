// Package metrics keeps the server's Prometheus metrics (github.com/VictoriaMetrics/metrics)
// and writes them in the text exposition format.
//
// Everything a request touches is built at start-up: one Route per route id with its
// histograms, and its per-status counters created on a status's first use. Label values are
// route templates, never raw paths, so the number of series is bounded by the route table.
package metrics

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	vm "github.com/VictoriaMetrics/metrics"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
)

// Unmatched is the route label of requests that matched no route (404, 405, bad requests).
const Unmatched = "<unmatched>"

// durationBuckets are the latency histogram bounds in seconds: 0.5 ms to 30 s (the
// default handler timeout).
var durationBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// Registry holds one server's metrics.
type Registry struct {
	set       *vm.Set
	routes    []*Route               // by route id
	special   map[string]*Route      // Go-answered paths (health, metrics) by path
	unmatched [numMethods + 1]*Route // by method code; the last one for other methods
	inFlight  atomic.Int64
	// WriteErrors counts responses that could not be written (the client went away).
	WriteErrors atomic.Uint64
	sockets     func(io.Writer)
}

// Sources are the values read at scrape time from the rest of the server.
type Sources struct {
	Bridge          *bridge.Bridge
	OpenConnections func() int64
	AccessLogDrops  func() uint64   // nil when access logs are off
	StateMetrics    func(io.Writer) // the shared state store's (nil: none)
	// WebSockets writes the bolt_ws_* series (package websocket's hub); nil: none.
	WebSockets func(io.Writer)
	// LoopRequests reports, since start, the requests the loop front end's loops served
	// and the connections they handed on to fasthttp (FRONT_END = "loop"); nil: none.
	LoopRequests func() (served, handedOn uint64)
}

// RouteSpec names one route for its labels.
type RouteSpec struct {
	ID           uint16
	Method, Path string
}

// New builds every route's metrics and the scrape-time gauges.
func New(routes []RouteSpec, specialPaths []string, src Sources) *Registry {
	r := &Registry{set: vm.NewSet(), special: map[string]*Route{}, sockets: src.WebSockets}
	maxID := -1
	for _, rt := range routes {
		maxID = max(maxID, int(rt.ID))
	}
	r.routes = make([]*Route, maxID+1)
	for _, rt := range routes {
		r.routes[rt.ID] = r.newRoute(rt.Path, rt.Method, true)
	}
	for i := range r.unmatched {
		m := "OTHER"
		if i < numMethods {
			m = methodNames[i]
		}
		r.unmatched[i] = r.newRoute(Unmatched, m, false)
	}
	for _, p := range specialPaths {
		r.special[p] = r.newRoute(p, "GET", false)
	}
	s := r.set
	s.NewGauge("bolt_requests_in_flight", func() float64 { return float64(r.inFlight.Load()) })
	s.NewGauge("bolt_response_write_errors_total", func() float64 { return float64(r.WriteErrors.Load()) })
	if src.LoopRequests != nil {
		s.NewGauge("bolt_loop_requests_served_total", func() float64 { n, _ := src.LoopRequests(); return float64(n) })
		s.NewGauge("bolt_loop_connections_handed_on_total", func() float64 { _, n := src.LoopRequests(); return float64(n) })
	}
	if src.OpenConnections != nil {
		s.NewGauge("bolt_open_connections", func() float64 { return float64(src.OpenConnections()) })
	}
	if src.AccessLogDrops != nil {
		s.NewGauge("bolt_access_log_dropped_total", func() float64 { return float64(src.AccessLogDrops()) })
	}
	if src.StateMetrics != nil {
		s.RegisterMetricsWriter(src.StateMetrics)
	}
	if b := src.Bridge; b != nil {
		st := b.Stats()
		s.NewGauge("bolt_bridge_queue_depth", func() float64 { return float64(b.QueueDepth()) })
		s.NewGauge("bolt_bridge_slots_in_use", func() float64 { return float64(b.InFlight()) })
		s.NewGauge("bolt_bridge_polls_total", func() float64 { return float64(st.Polls.Load()) })
		s.NewGauge("bolt_bridge_records_total", func() float64 { return float64(st.Records.Load()) })
		s.NewGauge("bolt_bridge_stream_chunks_direct_total", func() float64 { return float64(st.StreamDirect.Load()) })
		s.NewGauge("bolt_bridge_stream_chunks_queued_total", func() float64 { return float64(st.StreamQueued.Load()) })
		s.RegisterMetricsWriter(func(w io.Writer) { writeBatchHistogram(w, st) })
	}
	return r
}

// Route is the metrics of one route (or of one kind of unrouted request). Its series are
// created on first use, so routes never called add nothing to a scrape.
type Route struct {
	set      *vm.Set
	labels   string // `route="/items/{id}",method="GET"`
	python   bool   // has a Python handler (bolt_handler_duration_seconds)
	statuses [numStatusSlots]atomic.Pointer[vm.Counter]
	duration atomic.Pointer[vm.PrometheusHistogram]
	handler  atomic.Pointer[vm.PrometheusHistogram]
}

func (r *Registry) newRoute(path, method string, python bool) *Route {
	return &Route{set: r.set, labels: `route="` + escapeLabel(path) + `",method="` + method + `"`, python: python}
}

// histogram returns *p, creating the series on first use. GetOrCreate makes a race between
// two first requests harmless: both get the same histogram.
func (rt *Route) histogram(p *atomic.Pointer[vm.PrometheusHistogram], name string) *vm.PrometheusHistogram {
	if h := p.Load(); h != nil {
		return h
	}
	h := rt.set.GetOrCreatePrometheusHistogramExt(name+"{"+rt.labels+"}", durationBuckets)
	p.Store(h)
	return h
}

// escapeLabel escapes a label value (Prometheus text format: backslash, quote, newline).
func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// Route returns the metrics of route id (nil for an unknown id).
func (r *Registry) Route(id uint16) *Route {
	if int(id) < len(r.routes) {
		return r.routes[id]
	}
	return nil
}

// Unrouted returns the metrics for a request no route handled: one of the Go-answered
// paths, or Unmatched by method.
func (r *Registry) Unrouted(method, path []byte) *Route {
	if rt := r.special[string(path)]; rt != nil { // no allocation: map lookup of string(bytes)
		return rt
	}
	return r.unmatched[methodIndex(method)]
}

// Begin counts a request in flight; End ends it.
func (r *Registry) Begin() { r.inFlight.Add(1) }

// End records a finished request.
func (r *Registry) End(rt *Route, status int, d time.Duration) {
	r.inFlight.Add(-1)
	rt.status(status).Inc()
	rt.histogram(&rt.duration, "bolt_request_duration_seconds").Update(d.Seconds())
}

// ObserveHandler records the time a Python handler took (Go side: from handing the
// request over to having the reply).
func (rt *Route) ObserveHandler(d time.Duration) {
	if rt.python {
		rt.histogram(&rt.handler, "bolt_handler_duration_seconds").Update(d.Seconds())
	}
}

func (rt *Route) status(code int) *vm.Counter {
	i := statusSlot(code)
	if c := rt.statuses[i].Load(); c != nil {
		return c
	}
	// First response with this status on this route: build the series name once.
	c := rt.set.GetOrCreateCounter(`bolt_requests_total{` + rt.labels + `,status="` + statusLabels[i] + `"}`)
	rt.statuses[i].Store(c)
	return c
}

// WritePrometheus writes every metric, then Go runtime and process metrics (memory,
// goroutines, RSS, open file descriptors). A scrape with many descriptors open is slower:
// the count reads /proc/self/fd.
func (r *Registry) WritePrometheus(w io.Writer) {
	r.set.WritePrometheus(w)
	if r.sockets != nil {
		r.sockets(w)
	}
	vm.WriteProcessMetrics(w)
	vm.WriteFDMetrics(w) // open descriptors: what a leak of connections shows first
}

func writeBatchHistogram(w io.Writer, st *bridge.Stats) {
	var cum uint64
	for i := range bridge.BatchBuckets {
		cum += st.Batches[i].Load()
		le := "+Inf"
		if i < bridge.BatchBuckets-1 {
			le = strconv.Itoa(1 << i)
		}
		fmt.Fprintf(w, "bolt_bridge_batch_size_bucket{le=%q} %d\n", le, cum)
	}
	fmt.Fprintf(w, "bolt_bridge_batch_size_sum %d\n", st.Records.Load())
	fmt.Fprintf(w, "bolt_bridge_batch_size_count %d\n", st.Polls.Load())
}

// Methods and statuses map to small array indexes, so a request never builds a string.
const numMethods = 7

var methodNames = [numMethods]string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

func methodIndex(m []byte) int {
	for i, name := range methodNames {
		if string(m) == name {
			return i
		}
	}
	return numMethods
}

// Common statuses get their own series; any other is counted under its class ("4xx").
var commonStatuses = []int{200, 201, 202, 204, 206, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405,
	406, 408, 409, 410, 412, 413, 414, 415, 422, 429, 431, 499, 500, 501, 502, 503, 504}

const numStatusSlots = 33 + 6 // commonStatuses, then the classes 1xx-5xx and "other"

var statusLabels, statusSlots = func() (labels [numStatusSlots]string, slots [600]uint8) {
	n := len(commonStatuses)
	for c := range 6 {
		labels[n+c] = strconv.Itoa(c) + "xx"
	}
	labels[n] = "other"
	for code := range slots {
		slots[code] = uint8(n + code/100)
		if code < 100 {
			slots[code] = uint8(n)
		}
	}
	for i, code := range commonStatuses {
		labels[i] = strconv.Itoa(code)
		slots[code] = uint8(i)
	}
	return labels, slots
}()

func statusSlot(code int) int {
	if code < 0 || code >= len(statusSlots) {
		return len(commonStatuses) // "other"
	}
	return int(statusSlots[code])
}
