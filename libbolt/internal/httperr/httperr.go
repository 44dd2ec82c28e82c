// Package httperr writes the JSON error replies ({"detail": ...}) that Go answers itself,
// for the server and the middleware alike.
package httperr

import (
	jsoniter "github.com/json-iterator/go"
	"github.com/valyala/fasthttp"
)

var contentTypeJSON = []byte("application/json")

// Body renders {"detail": detail}; callers build their bodies once, at start-up.
func Body(detail string) []byte {
	b, _ := jsoniter.Marshal(map[string]string{"detail": detail})
	return b
}

// Write answers with status and a JSON body made by Body.
func Write(ctx *fasthttp.RequestCtx, status int, body []byte) {
	ctx.Response.ResetBody()
	ctx.SetStatusCode(status)
	ctx.SetContentTypeBytes(contentTypeJSON)
	ctx.SetBody(body)
}
