package server

import (
	"path/filepath"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/httperr"
)

// FileResponse: Python checks the path (a regular file, inside FILE_RESPONSE_ROOTS when
// set) and sends it as a KindFile reply; Go streams it from disk with Range, ETag-less
// Last-Modified/If-Modified-Since (304) and a content type from the extension.
//
// Not fasthttp.ServeFile: that one reads '%', '?' and '#' in the path as URI syntax, lists
// directories, and writes compressed copies next to the file.
var fileHandler = (&fasthttp.FS{
	Root:            "/",
	AcceptByteRange: true,
	CacheDuration:   5 * time.Second,
	PathNotFound: func(ctx *fasthttp.RequestCtx) {
		httperr.Write(ctx, fasthttp.StatusNotFound, httperr.Body("File not found"))
	},
}).NewRequestHandler()

var rangeNotSatisfiable = httperr.Body("Range Not Satisfiable")

// serveFile answers with the file at the absolute path in r.Body. Headers from Python
// (e.g. Content-Disposition) are added after, so an explicit content type wins over the
// extension's.
func serveFile(ctx *fasthttp.RequestCtx, r *bridge.Reply) string {
	path := string(r.Body)
	if !filepath.IsAbs(path) || filepath.Clean(path) != path {
		return "FileResponse path must be absolute and clean, got " + path
	}
	ctx.Request.URI().SetPath(path)
	fileHandler(ctx)
	if ctx.Response.StatusCode() == fasthttp.StatusRequestedRangeNotSatisfiable {
		// fasthttp's 416 is text; Content-Range (bytes */size) stays.
		httperr.Write(ctx, fasthttp.StatusRequestedRangeNotSatisfiable, rangeNotSatisfiable)
		return ""
	}
	return addHeaders(&ctx.Response.Header, r.Headers)
}
