package server

import (
	"bytes"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/header"
	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/httperr"
)

// Hot path: Python's reply is checked and copied into the response.

var badRespBody = httperr.Body("Internal Server Error")

// writeReply copies Python's reply into the response, refusing anything that would let a
// handler inject bytes onto the wire (bad status, CR/LF in headers, non-token names).
func writeReply(ctx *fasthttp.RequestCtx, r *bridge.Reply) {
	// 1xx is informational only (RFC 9110 15.2): as a final status the client would wait
	// for the real one forever.
	if r.Kind == bridge.KindFile {
		if err := serveFile(ctx, r); err != "" {
			logger.Printf("%s %s: %s", ctx.Method(), ctx.Path(), err)
			resetResponseHeader(ctx)
			httperr.Write(ctx, fasthttp.StatusInternalServerError, badRespBody)
		}
		return
	}
	if r.Kind != bridge.KindResponse {
		logger.Printf("%s %s: handler returned an unknown reply kind %d", ctx.Method(), ctx.Path(), r.Kind)
		httperr.Write(ctx, fasthttp.StatusInternalServerError, badRespBody)
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
	if r.Status < 200 || r.Status > 599 || int(r.ContentType) >= len(bridge.ContentTypes) {
		logger.Printf("%s %s: handler returned invalid status %d or content type %d", ctx.Method(), ctx.Path(), r.Status, r.ContentType)
		httperr.Write(ctx, fasthttp.StatusInternalServerError, badRespBody)
		return false
	}
	ctx.SetStatusCode(int(r.Status))
	if ct := bridge.ContentTypes[r.ContentType]; ct != nil {
		ctx.SetContentTypeBytes(ct)
	}
	if err := addHeaders(&ctx.Response.Header, r.Headers); err != "" {
		logger.Printf("%s %s: %s", ctx.Method(), ctx.Path(), err)
		resetResponseHeader(ctx)
		httperr.Write(ctx, fasthttp.StatusInternalServerError, badRespBody)
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
		if !header.IsTokenBytes(name) || bytes.ContainsAny(value, "\r\n") {
			return "handler returned an invalid response header " + strconv.Quote(string(name[:min(len(name), 64)]))
		}
		h.AddBytesKV(name, value)
	}
	return ""
}
