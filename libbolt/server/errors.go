package server

import (
	"errors"
	"log"
	"os"
	"runtime/debug"

	jsoniter "github.com/json-iterator/go"
	"github.com/valyala/fasthttp"
)

var logger = log.New(os.Stderr, "bolt: ", log.LstdFlags)

var (
	contentTypeJSON = []byte("application/json")
	notFoundBody    = errorBody("Not Found")
	notAllowedBody  = errorBody("Method Not Allowed")
)

func errorBody(detail string) []byte {
	b, _ := jsoniter.Marshal(map[string]string{"detail": detail})
	return b
}

// writeError answers with a JSON {"detail": ...} body.
func writeError(ctx *fasthttp.RequestCtx, status int, body []byte) {
	ctx.Response.ResetBody()
	ctx.SetStatusCode(status)
	ctx.SetContentTypeBytes(contentTypeJSON)
	ctx.SetBody(body)
}

func notFound(ctx *fasthttp.RequestCtx) { writeError(ctx, fasthttp.StatusNotFound, notFoundBody) }

func methodNotAllowed(ctx *fasthttp.RequestCtx) {
	writeError(ctx, fasthttp.StatusMethodNotAllowed, notAllowedBody)
}

// recoverPanic answers 500 when a handler panicked: fasthttp does not recover, and a
// panic that ends a goroutine inside libbolt.so takes the Python process down with it.
func recoverPanic(ctx *fasthttp.RequestCtx, p any) {
	logger.Printf("%s %s: panic: %v\n%s", ctx.Method(), ctx.Path(), p, debug.Stack())
	resetResponseHeader(ctx)
	writeError(ctx, fasthttp.StatusInternalServerError, badRespBody)
}

// parseError answers requests that fasthttp could not read; the connection is closed.
func parseError(ctx *fasthttp.RequestCtx, err error) {
	status, detail := fasthttp.StatusBadRequest, "Bad Request"
	var small *fasthttp.ErrSmallBuffer
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		status, detail = fasthttp.StatusRequestEntityTooLarge, "Request body too large"
	case errors.As(err, &small):
		status, detail = fasthttp.StatusRequestHeaderFieldsTooLarge, "Request header fields too large"
	case isTimeout(err):
		status, detail = fasthttp.StatusRequestTimeout, "Request timeout"
	}
	writeError(ctx, status, errorBody(detail))
	ctx.SetConnectionClose()
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
