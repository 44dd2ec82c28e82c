package server

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/header"
	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/httperr"
)

// Request bodies are read by the route's handler, after routing, the method check, CORS,
// rate limiting and authentication ran on the headers alone (fasthttp streams bodies:
// Server.StreamRequestBody). A request that is refused (404, 405, 401, 403, 429, 413)
// never has its body buffered; fasthttp discards a short unread body or closes the
// connection. The bytes of bodies being read are charged to one process-wide budget
// (Config.MaxInflightBody): past it the request is answered 503 with Retry-After, so many
// clients that send most of a large body and stall cannot take the memory with them.

var (
	bodyTooLargeBody = httperr.Body("Request body too large")
	bodyBusyBody     = httperr.Body("Server is receiving too many request bodies; retry shortly")
	bodyTimeoutBody  = httperr.Body("Request timeout")
	bodyBrokenBody   = httperr.Body("Malformed or truncated request body")
	hRetryAfter      = []byte("Retry-After")
	retryAfterOne    = []byte("1")
)

const (
	// bodyStep is how much budget (and buffer) a body starts with: a client is charged for
	// what it has sent, not for what it declared; past a step the buffer grows fourfold
	// (bodyGrowth), so a 1 MiB upload is copied twice (64 KiB, then 256 KiB), not four times.
	bodyStep   = 64 << 10
	bodyGrowth = 4
	// freeOSInterval rate-limits returning memory to the OS after a burst (a forced GC).
	freeOSInterval = 5 * time.Second
)

// Body buffers are pooled by size class, powers of two from bodyStep to the largest
// class. Speed: a fresh buffer per body was the upload path's main cost (issue 15's
// budget made bodies grow in steps): zeroing it (memclr) and faulting its pages in took a
// third of the server's CPU on 1 MiB uploads, more than Python's handling of them. A
// pooled buffer is neither zeroed nor faulted again. Memory: a pool keeps only buffers of
// finished bodies, which were charged to the budget while in use, and sync.Pool drops
// what is unused for two garbage collections; afterBurst runs both at once.
const (
	bodyClassMin   = 16 // log2 of the smallest class: bodyStep
	bodyClassCount = 9  // 64 KiB ... 16 MiB; larger bodies get a buffer of their own
)

var bodyPools [bodyClassCount]sync.Pool

// bodyClass is the index of the smallest class holding n bytes, or -1 past the largest.
func bodyClass(n int) int {
	c := 0
	for size := bodyStep; size < n; size <<= 1 {
		if c++; c == bodyClassCount {
			return -1
		}
	}
	return c
}

// getBodyBuf returns an empty buffer with room for n bytes, and its class (-1: unpooled).
func getBodyBuf(n int) (*[]byte, int) {
	c := bodyClass(n)
	if c < 0 {
		b := make([]byte, 0, n)
		return &b, -1
	}
	if v := bodyPools[c].Get(); v != nil {
		return v.(*[]byte), c
	}
	b := make([]byte, 0, 1<<(bodyClassMin+c))
	return &b, c
}

// bodyBudget counts the bytes of request bodies held in memory across the process.
type bodyBudget struct {
	max  int64
	used atomic.Int64
	// burst is set once use went past a quarter of max; when use falls back under a
	// sixteenth, memory is handed back to the OS (at most once per freeOSInterval).
	burst    atomic.Bool
	lastFree atomic.Int64 // unix nanoseconds of the last FreeOSMemory
	freeing  atomic.Bool
}

func (b *bodyBudget) acquire(n int) bool {
	if b.used.Add(int64(n)) > b.max {
		b.used.Add(-int64(n))
		return false
	}
	if b.used.Load() > b.max/4 {
		b.burst.Store(true)
	}
	return true
}

func (b *bodyBudget) release(n int) {
	if n == 0 {
		return
	}
	if b.used.Add(-int64(n)) < b.max/16 && b.burst.Load() {
		b.afterBurst()
	}
}

// afterBurst returns the memory of a burst of bodies to the OS: the buffers are garbage
// by now, but the Go runtime would keep the heap (its next GC target) sized for the burst.
func (b *bodyBudget) afterBurst() {
	now := time.Now().UnixNano()
	if now-b.lastFree.Load() < int64(freeOSInterval) || !b.freeing.CompareAndSwap(false, true) {
		return
	}
	b.burst.Store(false)
	b.lastFree.Store(now)
	go func() {
		defer b.freeing.Store(false)
		runtime.GC() // the pools' buffers go to their victim caches, which the next drops
		debug.FreeOSMemory()
	}()
}

// heldBody is a body read for a handler; done returns its buffer and budget.
type heldBody struct {
	req     *fasthttp.Request
	buf     *[]byte // the body's buffer, or nil
	class   int     // buf's pool (bodyPools), or -1
	charged int
	budget  *bodyBudget
}

func (h *heldBody) done() {
	if h.req == nil {
		return
	}
	// Nothing may point at the buffer once it is back in the pool, and a large one should
	// be garbage as soon as the reply is out, not when the connection's next request comes.
	h.req.SetBodyRaw(nil)
	h.putBack()
	h.budget.release(h.charged)
	h.charged = 0
}

// putBack returns the buffer to its pool, if it has one.
func (h *heldBody) putBack() {
	if h.buf != nil && h.class >= 0 {
		*h.buf = (*h.buf)[:0]
		bodyPools[h.class].Put(h.buf)
	}
	h.buf = nil
}

// routeBodyLimit is the body limit of route id: its own (Config.RouteMaxBody; 0 for a
// route whose handler cannot see a body) or the server's.
func (s *Server) routeBodyLimit(id uint16) int {
	if v, ok := s.cfg.RouteMaxBody[id]; ok {
		return v
	}
	return s.cfg.MaxBodySize
}

// readBody reads the request body from fasthttp's stream, within limit and the budget,
// and sets it as the request's body. On failure it has answered (413, 503, 408 or 400, the
// connection closed) and returns false. The caller calls h.done once the body is no longer
// used (after Python's reply: Python copies an apart body out of this buffer).
func (s *Server) readBody(ctx *fasthttp.RequestCtx, limit int, h *heldBody) bool {
	req := &ctx.Request
	h.budget, h.req = &s.bodies, req
	if !req.IsBodyStream() {
		return true // no body (neither Content-Length nor Transfer-Encoding)
	}
	declared := req.Header.ContentLength() // -1: chunked
	if limit == 0 {
		return s.dropBody(ctx, declared)
	}
	if declared > limit {
		refuse(ctx, fasthttp.StatusRequestEntityTooLarge, bodyTooLargeBody)
		return false
	}
	if declared == 0 {
		req.SetBodyRaw(nil)
		return true
	}
	// target is how much of the body the buffer may hold before it next grows; the budget
	// is charged for it up front.
	target := bodyStep
	if declared > 0 {
		target = min(declared, bodyStep)
	}
	if !h.budget.acquire(target) {
		refuseBusy(ctx)
		return false
	}
	h.charged = target
	h.buf, h.class = getBodyBuf(target)
	buf := *h.buf
	stream := req.BodyStream()
	for {
		if len(buf) == target {
			if declared >= 0 && len(buf) == declared {
				break
			}
			next := bodyGrowth * target
			if declared >= 0 {
				next = min(next, declared)
			} else {
				next = min(next, limit+1) // one byte more than allowed tells "too large"
			}
			if !h.budget.acquire(next - target) {
				refuseBusy(ctx)
				return false
			}
			h.charged, target = next, next
			if cap(buf) < next {
				grown, class := getBodyBuf(next)
				*grown = append(*grown, buf...)
				h.putBack()
				h.buf, h.class, buf = grown, class, *grown
			}
		}
		n, err := stream.Read(buf[len(buf):target])
		buf = buf[:len(buf)+n]
		if declared < 0 && len(buf) > limit {
			refuse(ctx, fasthttp.StatusRequestEntityTooLarge, bodyTooLargeBody)
			return false
		}
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) && (declared < 0 || len(buf) == declared) {
			break
		}
		if isTimeout(err) {
			refuse(ctx, fasthttp.StatusRequestTimeout, bodyTimeoutBody)
		} else {
			refuse(ctx, fasthttp.StatusBadRequest, bodyBrokenBody)
		}
		return false
	}
	*h.buf = buf
	req.SetBodyRaw(buf)
	return true
}

// dropBody reads and drops the body of a route whose handler cannot see one (limit 0):
// within MaxBodySize, through a small shared buffer, never held or charged to the budget.
// Clients that post a body the handler ignores keep their keep-alive connection.
func (s *Server) dropBody(ctx *fasthttp.RequestCtx, declared int) bool {
	req := &ctx.Request
	if declared > s.cfg.MaxBodySize {
		refuse(ctx, fasthttp.StatusRequestEntityTooLarge, bodyTooLargeBody)
		return false
	}
	n, err := io.CopyN(io.Discard, req.BodyStream(), int64(s.cfg.MaxBodySize)+1)
	switch {
	case n > int64(s.cfg.MaxBodySize):
		refuse(ctx, fasthttp.StatusRequestEntityTooLarge, bodyTooLargeBody)
	case err == nil || errors.Is(err, io.EOF) && (declared < 0 || n == int64(declared)):
		req.SetBodyRaw(nil)
		return true
	case isTimeout(err):
		refuse(ctx, fasthttp.StatusRequestTimeout, bodyTimeoutBody)
	default:
		refuse(ctx, fasthttp.StatusBadRequest, bodyBrokenBody)
	}
	return false
}

// refuseBusy answers 503 when the body budget is spent; the client may retry shortly.
func refuseBusy(ctx *fasthttp.RequestCtx) {
	refuse(ctx, fasthttp.StatusServiceUnavailable, bodyBusyBody)
	ctx.Response.Header.SetBytesKV(hRetryAfter, retryAfterOne)
}

var (
	expectNoBody     = httperr.Body("This route takes no request body")
	encodedBodyBody  = httperr.Body("Compressed request bodies (Content-Encoding) are not supported; send the body uncompressed")
	notJSONBody      = httperr.Body("Unsupported Media Type: this route takes a JSON body (Content-Type: application/json)")
	hContentEncoding = []byte("Content-Encoding")
)

// bodyMediaOK checks the declared coding and type of a request body before it is read:
// a Content-Encoding other than identity is 415 (the body would be read as JSON or form
// data and fail with 422), and so is a JSON-body route's (jsonOnly) body sent as another
// type than JSON: a cross-site HTML form or a "simple" fetch can send text/plain or a form
// without a CORS preflight, and must not reach a JSON API. No Content-Type is accepted.
func bodyMediaOK(ctx *fasthttp.RequestCtx, jsonOnly bool) bool {
	if !ctx.Request.IsBodyStream() || ctx.Request.Header.ContentLength() == 0 {
		return true
	}
	if body := bodyMediaRefusal(&ctx.Request.Header, jsonOnly); body != nil {
		refuse(ctx, fasthttp.StatusUnsupportedMediaType, body)
		return false
	}
	return true
}

// bodyMediaRefusal is bodyMediaOK's check of a request that has a body: the 415's body,
// or nil when the body is acceptable.
func bodyMediaRefusal(h *fasthttp.RequestHeader, jsonOnly bool) []byte {
	if ce := h.PeekBytes(hContentEncoding); len(ce) > 0 && !header.EqualFoldLower(header.TrimOWS(ce), "identity") {
		return encodedBodyBody
	}
	if jsonOnly {
		if ct := h.ContentType(); len(ct) > 0 && !isJSONType(ct) {
			return notJSONBody
		}
	}
	return nil
}

// isJSONType: application/json or any application/*+json, parameters ignored.
func isJSONType(ct []byte) bool {
	if i := bytes.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = header.TrimOWS(ct)
	const app = "application/"
	if len(ct) < len(app) || !header.EqualFoldLower(ct[:len(app)], app) {
		return false
	}
	sub := ct[len(app):]
	return header.EqualFoldLower(sub, "json") ||
		len(sub) > 5 && header.EqualFoldLower(sub[len(sub)-5:], "+json")
}

// hTooLarge marks a request whose declared body is over every route's limit (see
// headerReceived). Its name has spaces: no client can send it (scanHeaders refuses names
// that are not tokens before front looks for it).
var hTooLarge = []byte("bolt declared too large")

// headerReceived runs once the head is read, before fasthttp reads anything of the body
// (Server.HeaderReceived). With streaming, fasthttp reads a byte of the body before it
// calls the handler, so a client that declares a body too large for any route and waits
// for the answer before sending it would wait for the read timeout. Such a request is
// given an empty body and Connection: close here, and marked: front answers it 413 at once.
// A declared length over one route's smaller limit is refused by its handler (readBody).
func (s *Server) headerReceived(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	if h.ContentLength() > s.bodyLimitMax && len(h.Peek("Expect")) == 0 { // Expect: expectContinue
		h.SetContentLength(0)
		h.SetConnectionClose()
		h.SetBytesKV(hTooLarge, retryAfterOne)
	}
	return fasthttp.RequestConfig{}
}

// declaredTooLarge reports whether headerReceived marked the request. Speed: the Peek only
// runs for requests with an empty body and Connection: close.
func declaredTooLarge(h *fasthttp.RequestHeader) bool {
	return h.ContentLength() == 0 && h.ConnectionClose() && h.PeekBytes(hTooLarge) != nil
}

// expectContinue answers Expect: 100-continue from the headers (fasthttp's ExpectHandler):
// 100 only when a route takes the request, takes a body, the declared length fits its limit
// and the budget has room; otherwise the final status at once, without reading the body
// (fasthttp then closes the connection, as the client may already be sending it).
// Authentication runs on the headers right after the 100, before the body is read.
func (s *Server) expectContinue(ctx *fasthttp.RequestCtx) int {
	var f headerFacts
	if status, body := scanHeaders(ctx.Request.Header.RawHeaders(), s.cfg.MaxHeaders, &f); status != 0 {
		return expectRefuse(ctx, status, body)
	}
	rt, known := s.table.Match(string(ctx.Method()), ctx.Path(), ctx)
	var limit int
	switch {
	case rt != nil:
		limit = s.routeBodyLimit(rt.ID)
	case known: // the router answers 405: the API keeps its paths from the fallback
		return expectRefuse(ctx, fasthttp.StatusMethodNotAllowed, notAllowedBody)
	case s.cfg.Fallback != nil:
		limit = s.routeBodyLimit(s.cfg.Fallback.Route)
	default:
		return expectRefuse(ctx, fasthttp.StatusNotFound, notFoundBody)
	}
	declared := ctx.Request.Header.ContentLength()
	switch {
	case limit == 0:
		return expectRefuse(ctx, fasthttp.StatusExpectationFailed, expectNoBody)
	case declared > limit:
		return expectRefuse(ctx, fasthttp.StatusRequestEntityTooLarge, bodyTooLargeBody)
	case s.bodies.used.Load()+int64(min(max(declared, 0), bodyStep)) > s.bodies.max:
		ctx.Response.Header.SetBytesKV(hRetryAfter, retryAfterOne)
		return expectRefuse(ctx, fasthttp.StatusServiceUnavailable, bodyBusyBody)
	}
	if c, ok := ctx.Conn().(*countedConn); ok {
		c.dl.interim = true // the 100 is no reply: the body's read goes on (deadlines.go)
	}
	return fasthttp.StatusContinue
}

// expectRefuse gives the final reply of a refused Expect its JSON body; fasthttp sets the
// status and closes the connection.
func expectRefuse(ctx *fasthttp.RequestCtx, status int, body []byte) int {
	httperr.Write(ctx, status, body)
	return status
}
