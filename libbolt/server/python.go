package server

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/extra"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// Hot path: everything in this file runs for every request to a Python route.

var (
	capacityBody = errorBody("Server is at capacity")
	timeoutBody  = errorBody("Handler timed out")
	stoppingBody = errorBody("Server is shutting down")
	badRespBody  = errorBody("Internal Server Error")
)

// Content-type codes in response records; the common ones travel as a byte instead of a
// header string.
var contentTypes = [...][]byte{
	1: []byte("application/json"),
	2: []byte("text/plain; charset=utf-8"),
	3: []byte("application/octet-stream"),
	4: []byte("text/html; charset=utf-8"),
}

var methodCodes = map[string]uint8{
	"GET": 1, "POST": 2, "PUT": 3, "PATCH": 4, "DELETE": 5, "HEAD": 6, "OPTIONS": 7,
}

// inputError is a client error found while copying the request for Python.
type inputError string

func (s *Server) routeHandler(rt *router.Compiled) fasthttp.RequestHandler {
	serve := s.pythonHandler(rt)
	if rt.Flags&FlagASGI != 0 {
		serve = withClientAddr(serve)
	}
	return s.routeMiddleware(rt, serve)
}

// routeMiddleware wraps a route's handler in the route's Go middleware (CORS, auth and
// rate limits, compression, metrics and access-log tagging).
func (s *Server) routeMiddleware(rt *router.Compiled, serve fasthttp.RequestHandler) fasthttp.RequestHandler {
	serve = s.compressed(rt, s.protect(rt, s.timedHandler(rt, serve)))
	return s.tagRoute(rt, s.withCORS(rt, serve))
}

// withCORS answers preflights with the route's CORS policy and adds its headers.
func (s *Server) withCORS(rt *router.Compiled, serve fasthttp.RequestHandler) fasthttp.RequestHandler {
	cors := s.cors[rt.ID]
	// front only hands an OPTIONS request to a non-OPTIONS route when it is a CORS
	// preflight for that route.
	preflightable := rt.Method != "OPTIONS"
	if cors == nil {
		return func(ctx *fasthttp.RequestCtx) {
			if preflightable && ctx.IsOptions() {
				ctx.SetStatusCode(fasthttp.StatusOK) // no policy: no CORS headers
				return
			}
			serve(ctx)
		}
	}
	return func(ctx *fasthttp.RequestCtx) {
		origin := originOf(ctx)
		if preflightable && ctx.IsOptions() {
			cors.Preflight(ctx, origin)
			return
		}
		serve(ctx)
		cors.Apply(&ctx.Response.Header, origin)
	}
}

// pythonHandler hands the request to Python and writes its reply (or a Go error).
func (s *Server) pythonHandler(rt *router.Compiled) fasthttp.RequestHandler {
	method := methodCodes[rt.Method]
	timeout := s.timeout
	if v := s.cfg.RouteTimeoutMs[rt.ID]; v > 0 {
		timeout = ms(v)
	}
	return func(ctx *fasthttp.RequestCtx) {
		slot, err := s.Bridge.Acquire()
		if err != nil {
			body := capacityBody
			if err == bridge.ErrClosed {
				body = stoppingBody
			}
			writeError(ctx, fasthttp.StatusServiceUnavailable, body)
			return
		}
		// A streamed reply outlives this function: its body stream releases the slot.
		streaming := false
		var temps []string // uploads spooled to disk, deleted once the handler answered
		defer func() {
			if !streaming {
				s.Bridge.Release(slot)
			}
			if temps != nil {
				removeAll(temps)
			}
		}()
		body := ctx.PostBody()
		if rt.Flags&FlagMultipart != 0 {
			var mbad *multipartError
			if body, temps, mbad = s.parseMultipart(ctx); mbad != nil {
				writeError(ctx, mbad.status, errorBody(mbad.detail))
				return
			}
		}
		// A big body (an upload) stays in fasthttp's buffer; Python copies it from there
		// (bridge.BodyApartMin).
		if len(body) > bridge.BodyApartMin {
			slot.Body = body
		}
		var bad inputError
		slot.Req, bad = appendRecord(slot.Req[:0], slot.ID(), method, rt, ctx, body, slot.Body != nil)
		if bad != "" {
			writeError(ctx, fasthttp.StatusBadRequest, errorBody(string(bad)))
			return
		}
		slot.Conn = ctx.Conn()
		s.Bridge.Submit(slot)
		if !s.Bridge.Wait(slot, timeout) {
			if slot.ClientGone {
				closeSilently(ctx)
			} else if isStopping(ctx) {
				writeError(ctx, fasthttp.StatusServiceUnavailable, stoppingBody)
			} else {
				writeError(ctx, fasthttp.StatusGatewayTimeout, timeoutBody)
			}
			return
		}
		if slot.Reply.Kind == bridge.KindStreamStart {
			streaming = true
			s.startStream(ctx, slot)
			return
		}
		writeReply(ctx, &slot.Reply)
	}
}

func isStopping(ctx *fasthttp.RequestCtx) bool {
	select {
	case <-ctx.Done():
		return true
	default:
		return false
	}
}

// appendRecord encodes the request record straight into the slot's reusable buffer; an
// apart body is only counted (bridge.RecordBodyApart).
func appendRecord(dst []byte, id uint64, method uint8, rt *router.Compiled, ctx *fasthttp.RequestCtx, body []byte, apart bool) ([]byte, inputError) {
	start := len(dst)
	dst = append(dst, make([]byte, bridge.RequestHeaderSize)...)
	var lens [6]int

	mark := len(dst)
	dst = append(dst, ctx.Path()...)
	lens[0] = len(dst) - mark

	mark = len(dst)
	for i, name := range rt.Params {
		if i > 0 {
			dst = append(dst, 0)
		}
		raw, _ := ctx.UserValue(name).(string)
		var ok bool
		if dst, ok = appendUnescaped(dst, raw); !ok {
			return dst, inputError("Invalid path parameter '" + name + "'")
		}
	}
	lens[1] = len(dst) - mark

	mark = len(dst)
	var bad inputError
	ctx.QueryArgs().VisitAll(func(k, v []byte) {
		if bad != "" {
			return
		}
		if !cleanText(k) || !cleanText(v) {
			bad = "Invalid query string: NUL byte or invalid UTF-8"
			return
		}
		if len(dst) > mark {
			dst = append(dst, 0)
		}
		dst = append(dst, k...)
		dst = append(dst, 0)
		dst = append(dst, v...)
	})
	if bad != "" {
		return dst, bad
	}
	if rt.Flags&FlagASGI != 0 {
		// An ASGI scope takes the query string as it came (after the same checks).
		dst = append(dst[:mark], ctx.URI().QueryString()...)
	}
	lens[2] = len(dst) - mark

	mark = len(dst)
	if rt.Flags&FlagHeaders != 0 {
		for k, v := range ctx.Request.Header.All() {
			if middleware.EqualFoldLower(k, "x-request-id") {
				continue // replaced by the id Go settled on (the client's may be invalid)
			}
			dst = appendLower(dst, k)
			dst = append(dst, 0)
			dst = append(dst, v...)
			dst = append(dst, 0)
		}
		dst = append(dst, "x-request-id\x00"...)
		dst = append(dst, requestID(ctx)...)
	}
	lens[3] = len(dst) - mark

	var recordFlags uint16
	if apart {
		recordFlags = bridge.RecordBodyApart
	} else {
		dst = append(dst, body...)
	}
	lens[4] = len(body)

	mark = len(dst)
	dst = extra.AppendTo(dst, ctx)
	lens[5] = len(dst) - mark

	h := dst[start:]
	le := binary.LittleEndian
	le.PutUint64(h[0:], id)
	h[8] = bridge.KindRequest
	h[9] = method
	le.PutUint16(h[10:], rt.ID)
	le.PutUint16(h[12:], rt.Flags)
	le.PutUint16(h[14:], recordFlags)
	for i, l := range lens {
		le.PutUint32(h[16+4*i:], uint32(l))
	}
	return dst, ""
}

// cleanText reports whether b is valid UTF-8 without NUL (NUL separates list items).
func cleanText(b []byte) bool {
	return bytes.IndexByte(b, 0) < 0 && utf8.Valid(b)
}

// appendUnescaped percent-decodes a raw path segment (router values are not decoded, so
// "%2F" stays inside one parameter instead of splitting the path).
func appendUnescaped(dst []byte, s string) ([]byte, bool) {
	mark := len(dst)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
				return dst, false
			}
			c = byte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		}
		dst = append(dst, c)
	}
	return dst, cleanText(dst[mark:])
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

func appendLower(dst, b []byte) []byte {
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// writeReply copies Python's reply into the response, refusing anything that would let a
// handler inject bytes onto the wire (bad status, CR/LF in headers, non-token names).
func writeReply(ctx *fasthttp.RequestCtx, r *bridge.Reply) {
	// 1xx is informational only (RFC 9110 15.2): as a final status the client would wait
	// for the real one forever.
	if r.Kind == bridge.KindFile {
		if err := serveFile(ctx, r); err != "" {
			logger.Printf("%s %s: %s", ctx.Method(), ctx.Path(), err)
			resetResponseHeader(ctx)
			writeError(ctx, fasthttp.StatusInternalServerError, badRespBody)
		}
		return
	}
	if r.Kind != bridge.KindResponse {
		logger.Printf("%s %s: handler returned an unknown reply kind %d", ctx.Method(), ctx.Path(), r.Kind)
		writeError(ctx, fasthttp.StatusInternalServerError, badRespBody)
		return
	}
	if writeReplyHead(ctx, r) {
		// Speed: the slot's copy of the body becomes the response body and the slot
		// takes fasthttp's previous buffer in exchange, instead of SetBody copying every
		// body a second time (a 10 KB memmove per /bench/big reply in perf).
		r.Body = ctx.Response.SwapBody(r.Body)[:0]
	}
}

// writeReplyHead sets the status, content type and headers of a reply (a whole one or the
// start of a streamed one); on bad values it answers 500 and returns false.
func writeReplyHead(ctx *fasthttp.RequestCtx, r *bridge.Reply) bool {
	if r.Status < 200 || r.Status > 599 || int(r.ContentType) >= len(contentTypes) {
		logger.Printf("%s %s: handler returned invalid status %d or content type %d", ctx.Method(), ctx.Path(), r.Status, r.ContentType)
		writeError(ctx, fasthttp.StatusInternalServerError, badRespBody)
		return false
	}
	ctx.SetStatusCode(int(r.Status))
	if ct := contentTypes[r.ContentType]; ct != nil {
		ctx.SetContentTypeBytes(ct)
	}
	if err := addHeaders(&ctx.Response.Header, r.Headers); err != "" {
		logger.Printf("%s %s: %s", ctx.Method(), ctx.Path(), err)
		resetResponseHeader(ctx)
		writeError(ctx, fasthttp.StatusInternalServerError, badRespBody)
		return false
	}
	return true
}

// addHeaders parses "name\0value\0name\0value" and adds each pair.
func addHeaders(h *fasthttp.ResponseHeader, block []byte) string {
	for len(block) > 0 {
		i := bytes.IndexByte(block, 0)
		if i < 0 {
			return "malformed header block from handler"
		}
		name, rest := block[:i], block[i+1:]
		j := bytes.IndexByte(rest, 0)
		if j < 0 {
			j = len(rest)
		}
		value := rest[:j]
		block = rest[min(j+1, len(rest)):]
		if !validHeaderName(name) || bytes.ContainsAny(value, "\r\n") {
			return "handler returned an invalid response header " + strconv.Quote(string(name[:min(len(name), 64)]))
		}
		h.AddBytesKV(name, value)
	}
	return ""
}

func validHeaderName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c >= 0x80 || !isTokenChar[c] {
			return false
		}
	}
	return true
}

// isTokenChar marks RFC 9110 "tchar" bytes.
var isTokenChar = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()
