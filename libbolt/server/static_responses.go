package server

import (
	"fmt"
	"os"
	"strings"

	"github.com/valyala/fasthttp"
)

// StaticResponse is a fixed reply Go serves for GET and HEAD of one exact path, before
// routing and without Python: the OpenAPI document and the docs pages, computed once at
// start-up. Body holds the bytes; File names a file read once when the server is built
// (the docs UIs' local JavaScript bundles, too big to travel in the JSON config).
type StaticResponse struct {
	Path        string `json:"path"`
	ContentType string `json:"content_type"`
	Body        string `json:"body"`
	File        string `json:"file"`
}

type staticReply struct {
	contentType []byte
	body        []byte
}

var (
	staticAllow = []byte("GET, HEAD")
	hAllow      = []byte("Allow")
)

func (c *Config) validateStatic() error {
	seen := make(map[string]bool, len(c.StaticResponses))
	for _, r := range c.StaticResponses {
		if r.Path == "" || r.Path[0] != '/' || strings.ContainsAny(r.Path, "?#{} ") {
			return fmt.Errorf("static response path %q must be a plain path starting with '/'", r.Path)
		}
		if seen[r.Path] {
			return fmt.Errorf("static response path %q is given twice", r.Path)
		}
		seen[r.Path] = true
		if r.ContentType == "" {
			return fmt.Errorf("static response %q needs a content_type", r.Path)
		}
		if r.Body != "" && r.File != "" {
			return fmt.Errorf("static response %q has both a body and a file", r.Path)
		}
		if p := *c.HealthPath; p != "" && r.Path == p {
			return fmt.Errorf("static response %q is shadowed by the health endpoint", r.Path)
		}
	}
	for _, rt := range c.Routes {
		// A route on a static path would never be called: fail at start-up instead.
		if seen[rt.Path] {
			return fmt.Errorf("route %s %s is shadowed by a static response (OpenAPI document or docs page); move the route or the docs", rt.Method, rt.Path)
		}
	}
	return nil
}

// staticTable maps exact paths to replies. lens has bit n set when some path is n bytes
// long (n < 64; longer paths always take the map lookup): most requests are ruled out by
// one AND instead of hashing their path.
type staticTable struct {
	lens    uint64
	replies map[string]staticReply
}

// compileStatic loads the static replies (files are read here, once).
func compileStatic(list []StaticResponse) (*staticTable, error) {
	if len(list) == 0 {
		return nil, nil
	}
	t := &staticTable{replies: make(map[string]staticReply, len(list))}
	for _, r := range list {
		body := []byte(r.Body)
		if r.File != "" {
			b, err := os.ReadFile(r.File)
			if err != nil {
				return nil, fmt.Errorf("static response %s: %w", r.Path, err)
			}
			body = b
		}
		t.replies[r.Path] = staticReply{contentType: []byte(r.ContentType), body: body}
		t.lens |= lenBit(len(r.Path))
	}
	return t, nil
}

func lenBit(n int) uint64 {
	if n >= 64 {
		return 1 << 63
	}
	return 1 << uint(n)
}

// serveReply answers ctx when its path is a static one and reports whether it did.
// has reports whether path is a static reply's (the loop front end leaves those to
// fasthttp).
func (t *staticTable) has(path []byte) bool {
	if t.lens&lenBit(len(path)) == 0 {
		return false
	}
	_, ok := t.replies[string(path)]
	return ok
}

func (s *Server) serveReply(ctx *fasthttp.RequestCtx) bool {
	path := ctx.Path()
	if s.replies.lens&lenBit(len(path)) == 0 {
		return false
	}
	r, ok := s.replies.replies[string(path)] // no allocation: the compiler special-cases this lookup
	if !ok {
		return false
	}
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Response.Header.SetBytesKV(hAllow, staticAllow)
		methodNotAllowed(ctx)
		return true
	}
	ctx.SetContentTypeBytes(r.contentType)
	ctx.SetBody(r.body) // SetBody copies, so the shared slice is never handed to fasthttp
	return true
}
