package server

import (
	"slices"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/httperr"
	"github.com/django-bolt-go/django-bolt-go/libbolt/multipart"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// Hot path: everything in this file runs for every request to a Python route: the
// hand-over to Python through the bridge and the wait for its reply.

var (
	capacityBody = httperr.Body("Server is at capacity")
	timeoutBody  = httperr.Body("Handler timed out")
	stoppingBody = httperr.Body("Server is shutting down")
)

// pythonHandler hands the request to Python and writes its reply (or a Go error).
func (s *Server) pythonHandler(rt *router.Compiled) fasthttp.RequestHandler {
	method := bridge.MethodCodes[rt.Method]
	timeout := s.timeout
	if v := s.cfg.RouteTimeoutMs[rt.ID]; v > 0 {
		timeout = ms(v)
	}
	limit := s.routeBodyLimit(rt.ID)
	jsonOnly := slices.Contains(s.cfg.JSONBodyRoutes, rt.ID)
	asgi := rt.Flags&bridge.FlagASGI != 0 // Django's views see the body as sent
	// The route's handler latency metric (nil: metrics off), fed the bridge's measure.
	observeHandler := s.observer.HandlerTimer(rt)
	return func(ctx *fasthttp.RequestCtx) {
		// The body is read here, after routing and the route's middleware (auth, rate
		// limit) refused what they refuse from the headers alone (body.go).
		var held heldBody
		defer held.done()
		if !asgi && !bodyMediaOK(ctx, jsonOnly) || !s.readBody(ctx, limit, &held) {
			return
		}
		body := ctx.PostBody()
		var temps []string // uploads spooled to disk, deleted once the handler answered
		if rt.Flags&bridge.FlagMultipart != 0 {
			var mbad *multipart.Error
			if body, temps, mbad = multipart.Parse(ctx, &s.upload); mbad != nil {
				httperr.Write(ctx, mbad.Status, httperr.Body(mbad.Detail))
				return
			}
			defer multipart.RemoveAll(temps)
		}
		// A big body (an upload) stays in fasthttp's buffer; Python copies it from there
		// (bridge.BodyApartMin).
		var apart []byte
		if len(body) > bridge.BodyApartMin {
			apart = body
		}
		// The record is encoded before a slot is taken, into a buffer the connection keeps
		// between its requests (it serves one at a time), so that taking the slot and
		// queueing the request is one lock (bridge.Enqueue).
		cc, _ := ctx.Conn().(*countedConn)
		var buf []byte
		if cc != nil {
			buf, cc.rec = cc.rec, nil
		}
		rec, bad := appendRecord(buf[:0], 0, method, rt, ctx, body, apart != nil)
		if bad != "" {
			keepRecord(cc, rec)
			httperr.Write(ctx, fasthttp.StatusBadRequest, httperr.Body(string(bad)))
			return
		}
		slot, prev, err := s.Bridge.Enqueue(rec, apart, ctx.Conn())
		keepRecord(cc, prev)
		if err != nil {
			body := capacityBody
			if err == bridge.ErrClosed {
				body = stoppingBody
			}
			httperr.Write(ctx, fasthttp.StatusServiceUnavailable, body)
			return
		}
		// A streamed reply outlives this function: its body stream releases the slot.
		streaming := false
		defer func() {
			if !streaming {
				s.Bridge.Release(slot)
			}
		}()
		if !s.Bridge.Wait(slot, timeout) {
			if slot.ClientGone {
				closeSilently(ctx)
			} else if isStopping(ctx) {
				httperr.Write(ctx, fasthttp.StatusServiceUnavailable, stoppingBody)
			} else {
				httperr.Write(ctx, fasthttp.StatusGatewayTimeout, timeoutBody)
			}
			return
		}
		if observeHandler != nil {
			observeHandler(slot.HandlerTime())
		}
		if slot.Reply.Kind == bridge.KindStreamStart {
			streaming = true
			s.startStream(ctx, slot)
			return
		}
		writeReply(ctx, &slot.Reply)
	}
}

// keepRecord gives a record buffer to the connection for its next request, unless it grew
// past what a slot keeps either (bridge's maxRetained: a big inline body).
func keepRecord(cc *countedConn, buf []byte) {
	if cc != nil && cap(buf) <= 64<<10 {
		cc.rec = buf[:0]
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
