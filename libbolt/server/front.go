package server

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync/atomic"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/header"
	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/httperr"
)

// Hot path: front runs for every request, before routing.

var (
	hRequestID   = []byte("X-Request-ID")
	healthBody   = []byte(`{"status":"ok"}`)
	uriLongBody  = httperr.Body("Request URI too long")
	manyHdrsBody = httperr.Body("Too many request headers")
	badReqBody   = httperr.Body("Bad Request")
	noHostBody   = httperr.Body("Missing Host header")
	bareLFBody   = httperr.Body("Bare LF in the request head: lines must end in CRLF")
)

// maxRequestIDLen bounds an incoming X-Request-ID; a longer one is replaced, not echoed.
const maxRequestIDLen = 128

// headerFacts is what scanHeaders learns from the raw header block in one pass.
type headerFacts struct {
	hosts     int
	host      []byte // Host value (trimmed)
	lengths   int    // Content-Length lines
	encodings int    // Transfer-Encoding lines
	chunked   bool   // the (single) Transfer-Encoding is exactly "chunked"
	requestID []byte // X-Request-ID value (last one), any case of the name
	origin    []byte // Origin value, nil if absent
	preflight bool   // Access-Control-Request-Method present
	acrm      []byte
}

// scanHeaders checks the raw header block that fasthttp already parsed for what fasthttp
// tolerates but we must refuse, and picks out the few headers Go itself uses. It returns
// a status (0: fine) and the error body.
//
// fasthttp already refuses: two Content-Length or Host lines, a malformed Content-Length,
// two Transfer-Encoding lines, codings other than chunked/identity, Transfer-Encoding on
// HTTP/1.0, a space before the colon, control bytes in values. It accepts, and we refuse:
// names with inner spaces (not tokens, RFC 9110 5.1), obsolete line folding (RFC 9112
// 5.2), "Transfer-Encoding: identity" (no longer a registered coding: a peer that ignores
// it frames the body differently) and Content-Length with Transfer-Encoding (RFC 9112
// 6.3: a smuggling attempt; fasthttp would serve it and close).
func scanHeaders(raw []byte, maxHeaders int, f *headerFacts) (int, []byte) {
	count := 0
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		// A bare LF is no line end (RFC 9112 2.2): fasthttp splits "X: a\nContent-Length:
		// 39" into two headers where a front end may read one value (a desync).
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		} else if raw != nil {
			return fasthttp.StatusBadRequest, bareLFBody
		}
		if len(line) == 0 {
			continue // the blank line that ends the block
		}
		if line[0] == ' ' || line[0] == '\t' {
			return fasthttp.StatusBadRequest, badReqBody // obs-fold
		}
		count++
		if count > maxHeaders {
			return fasthttp.StatusRequestHeaderFieldsTooLarge, manyHdrsBody
		}
		colon := tokenPrefix(line)
		if colon == 0 || colon == len(line) || line[colon] != ':' {
			return fasthttp.StatusBadRequest, badReqBody
		}
		// Values are only trimmed for the few headers Go reads.
		name, value := line[:colon], line[colon+1:]
		switch len(name) {
		case 4:
			if header.EqualFoldLower(name, "host") {
				f.hosts++
				f.host = header.TrimOWS(value)
			}
		case 6:
			if header.EqualFoldLower(name, "origin") {
				f.origin = header.TrimOWS(value)
			}
		case 12:
			if header.EqualFoldLower(name, "x-request-id") {
				f.requestID = header.TrimOWS(value)
			}
		case 14:
			if header.EqualFoldLower(name, "content-length") {
				f.lengths++
			}
		case 17:
			if header.EqualFoldLower(name, "transfer-encoding") {
				f.encodings++
				f.chunked = header.EqualFoldLower(header.TrimOWS(value), "chunked")
			}
		case 29:
			if header.EqualFoldLower(name, "access-control-request-method") {
				f.preflight, f.acrm = true, header.TrimOWS(value)
			}
		}
	}
	if f.encodings > 0 && (!f.chunked || f.lengths > 0) {
		return fasthttp.StatusBadRequest, badReqBody
	}
	return 0, nil
}

// tokenPrefix returns the length of the run of token characters that starts line.
func tokenPrefix(line []byte) int {
	for i, c := range line {
		if !header.IsTokenChar(c) {
			return i
		}
	}
	return len(line)
}

// validRequestID accepts 1-128 visible ASCII bytes: the id is echoed in a response
// header and written to logs, so anything else is replaced rather than trusted.
func validRequestID(b []byte) bool {
	if len(b) == 0 || len(b) > maxRequestIDLen {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// requestIDs generates ids unique within the process: a random prefix chosen at start-up
// (unique across processes and restarts with high probability) and a counter.
type requestIDs struct {
	prefix [9]byte // 8 hex digits and '-'
	next   atomic.Uint64
}

func newRequestIDs() *requestIDs {
	g := &requestIDs{}
	var r [4]byte
	_, _ = rand.Read(r[:]) // never fails on Linux (getrandom)
	hex.Encode(g.prefix[:8], r[:])
	g.prefix[8] = '-'
	return g
}

func (g *requestIDs) append(dst []byte) []byte {
	dst = append(dst, g.prefix[:]...)
	return strconv.AppendUint(dst, g.next.Add(1), 36)
}

// front is the server's handler: checks that fasthttp does not make, the request id,
// the health endpoint and CORS preflights, then routing.
func (s *Server) front(ctx *fasthttp.RequestCtx) {
	h := &ctx.Request.Header
	if len(h.RequestURI()) > s.cfg.MaxURIBytes {
		refuse(ctx, fasthttp.StatusRequestURITooLong, uriLongBody)
		return
	}
	var f headerFacts
	if status, body := scanHeaders(h.RawHeaders(), s.cfg.MaxHeaders, &f); status != 0 {
		refuse(ctx, status, body)
		return
	}
	// RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without Host.
	if f.hosts == 0 && h.IsHTTP11() {
		refuse(ctx, fasthttp.StatusBadRequest, noHostBody)
		return
	}
	// A reply given without reading the body (a refusal, or a Go-served path) closes the
	// connection rather than wait for the rest of a body nobody needs (body.go).
	defer closeIfBodyUnread(ctx)
	if c, ok := ctx.Conn().(*countedConn); ok {
		// Deferred: a hijacked connection carries WebSocket frames or a stream, no heads.
		defer func() {
			if ctx.Hijacked() {
				c.hijacked()
			}
		}()
		// A bare LF fasthttp parsed as a line end (in the request line, or anywhere in a
		// pipelined head): framing.go found it as the bytes arrived.
		if c.refuseBareLF() {
			refuse(ctx, fasthttp.StatusBadRequest, bareLFBody)
			return
		}
		if s.corsOn {
			c.origin = f.origin // for the route's CORS middleware (originOf)
		}
	}
	if validRequestID(f.requestID) {
		ctx.Response.Header.SetBytesKV(hRequestID, f.requestID)
	} else {
		var buf [32]byte
		ctx.Response.Header.SetBytesKV(hRequestID, s.ids.append(buf[:0]))
	}
	// After the request id, so that the 413 names it like every other reply.
	if declaredTooLarge(h) {
		refuse(ctx, fasthttp.StatusRequestEntityTooLarge, bodyTooLargeBody)
		return
	}
	if s.health != nil && bytes.Equal(ctx.Path(), s.health) && (ctx.IsGet() || ctx.IsHead()) {
		ctx.SetContentTypeBytes(contentTypeJSON)
		ctx.SetBody(healthBody)
		return
	}
	// After the health endpoint: probes name the pod's address, not a public host.
	if !s.checkHost(ctx, f.host) {
		return
	}
	if s.observer.ServesMetrics(ctx) {
		s.observer.ServeMetrics(ctx)
		return
	}
	if s.replies != nil && s.serveReply(ctx) {
		return
	}
	if s.corsOn && f.origin != nil {
		if f.preflight && ctx.IsOptions() {
			// The preflight is answered by the route the browser is about to call, with
			// that route's policy (routeHandler sees an OPTIONS request).
			if route := s.table.Lookup(string(f.acrm), ctx.Request.URI().PathOriginal(), ctx); route != nil {
				route(ctx)
				return
			}
		}
	}
	s.table.Handler(ctx)
}

// closeIfBodyUnread closes the connection after the reply when the request's body was
// left on the wire (fasthttp would otherwise wait to drain up to 256 KiB of it).
func closeIfBodyUnread(ctx *fasthttp.RequestCtx) {
	if ctx.Request.IsBodyStream() && ctx.Request.Header.ContentLength() != 0 {
		ctx.SetConnectionClose()
	}
}

// refuse answers a request that must not reach routing and closes the connection: after
// a framing error nothing else on it can be trusted.
func refuse(ctx *fasthttp.RequestCtx, status int, body []byte) {
	httperr.Write(ctx, status, body)
	ctx.SetConnectionClose()
}

// originOf returns the Origin that front stored, or nil.
func originOf(ctx *fasthttp.RequestCtx) []byte {
	switch c := ctx.Conn().(type) {
	case *countedConn:
		return c.origin
	case loopRequestConn:
		return c.clientOrigin()
	}
	return nil
}

// requestID returns the id front put in the response headers.
func requestID(ctx *fasthttp.RequestCtx) []byte { return ctx.Response.Header.PeekBytes(hRequestID) }

// resetResponseHeader clears headers a handler set but keeps the request id.
func resetResponseHeader(ctx *fasthttp.RequestCtx) {
	var buf [maxRequestIDLen]byte
	id := append(buf[:0], requestID(ctx)...)
	h := &ctx.Response.Header
	h.Reset()
	h.DisableNormalizing()
	if len(id) > 0 {
		h.SetBytesKV(hRequestID, id)
	}
}
