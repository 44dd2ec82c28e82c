package server

import (
	"errors"
	"runtime/debug"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/httperr"
	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/logline"
)

// logger writes the server's error lines in runbolt's one log format (internal/logline).
var logger = logline.New("django_bolt.server")

// contentTypeJSON is the Content-Type of the replies Go writes itself.
var contentTypeJSON = []byte("application/json")

var (
	notFoundBody   = httperr.Body("Not Found")
	notAllowedBody = httperr.Body("Method Not Allowed")
)

func notFound(ctx *fasthttp.RequestCtx) { httperr.Write(ctx, fasthttp.StatusNotFound, notFoundBody) }

func methodNotAllowed(ctx *fasthttp.RequestCtx) {
	httperr.Write(ctx, fasthttp.StatusMethodNotAllowed, notAllowedBody)
}

// recoverPanic answers 500 when a handler panicked: fasthttp does not recover, and a
// panic that ends a goroutine inside libbolt.so takes the Python process down with it.
func recoverPanic(ctx *fasthttp.RequestCtx, p any) {
	logger.Printf("%s %s: panic: %v\n%s", ctx.Method(), ctx.Path(), p, debug.Stack())
	resetResponseHeader(ctx)
	httperr.Write(ctx, fasthttp.StatusInternalServerError, badRespBody)
}

// parseError answers requests that fasthttp could not read with a request id, which the
// connection's log line names (connErrors); the connection is closed.
func (s *Server) parseError(ctx *fasthttp.RequestCtx, err error) {
	var buf [32]byte
	id := s.ids.append(buf[:0])
	ctx.Response.Header.SetBytesKV(hRequestID, id)
	s.connErrors.RememberID(ctx.RemoteAddr().String(), id)
	status, detail := fasthttp.StatusBadRequest, "Bad Request"
	var small *fasthttp.ErrSmallBuffer
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		status, detail = fasthttp.StatusRequestEntityTooLarge, "Request body too large"
	case errors.As(err, &small):
		status, detail = fasthttp.StatusRequestHeaderFieldsTooLarge, "Request header fields too large"
	case errors.Is(err, errBareLF):
		detail = "Bare LF in the request head: lines must end in CRLF"
	case isTimeout(err):
		status, detail = fasthttp.StatusRequestTimeout, "Request timeout"
	}
	httperr.Write(ctx, status, httperr.Body(detail))
	ctx.SetConnectionClose()
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
