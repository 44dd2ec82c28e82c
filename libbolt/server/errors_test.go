package server

import (
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// A panic in a request handler is answered with a JSON 500 and the connection keeps
// serving; unrecovered, it would end the Python process that loaded libbolt.
func TestHandlerPanicAnswers500(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{}, echoAnswer)
	handler, _, err := router.Build(routes(router.Route{ID: 1, Method: "GET", Path: "/boom/{n}"}), router.Handlers{
		Route: func(*router.Compiled) fasthttp.RequestHandler {
			return func(ctx *fasthttp.RequestCtx) {
				ctx.Response.Header.Set("X-Partial", "1")
				panic("boom " + ctx.UserValue("n").(string))
			}
		},
		NotFound:         notFound,
		MethodNotAllowed: methodNotAllowed,
		Panic:            recoverPanic,
	})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	// Requests are only read after the first Dial, so swapping the handler here is safe.
	ts.srv.http.Handler = handler

	c := ts.dial(t)
	for range 2 {
		resp := c.do(t, "GET /boom/1 HTTP/1.1\r\nHost: t\r\n\r\n")
		assertJSONError(t, resp, 500, "Internal Server Error")
		if resp.Header.Peek("X-Partial") != nil {
			t.Fatalf("headers set before the panic were sent")
		}
	}
}
