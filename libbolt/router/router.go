// Package router turns the routes registered in Python into a fasthttp/router tree.
//
// Every GET route also answers HEAD unless a HEAD handler is registered for its path.
//
// Path syntax (as in the Python decorators):
//
//	/items/{id}          any segment; the Python handler converts and validates it (422)
//	/items/{id:int}      digits only, otherwise 404 (likewise :float, :uuid, :str)
//	/files/{rest:path}   the rest of the path, slashes included; last segment only
package router

import (
	"fmt"
	"regexp"
	"strings"

	frouter "github.com/fasthttp/router"
	"github.com/valyala/fasthttp"
)

// Route is one registration sent by Python at start-up.
type Route struct {
	ID     uint16 `json:"id"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Flags  uint16 `json:"flags"`
}

// Compiled is a route after its path was translated; Params lists the parameter names in
// path order, the order in which their values are handed to Python.
type Compiled struct {
	Route
	Params []string
}

// Handlers are the callbacks that Build wires into the tree.
type Handlers struct {
	Route            func(*Compiled) fasthttp.RequestHandler
	NotFound         fasthttp.RequestHandler
	MethodNotAllowed fasthttp.RequestHandler // the router has already set the Allow header
	// Panic answers a request whose handler panicked; a panic that reached cgo would take
	// the Python process down with it.
	Panic func(*fasthttp.RequestCtx, any)
}

var (
	paramRe = regexp.MustCompile(`\{([^{}:]*)(?::([^{}]*))?\}`)
	nameRe  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// Groups in converter patterns must not capture: fasthttp/router slices the path by
	// every group's bounds, and an optional group that did not match (-1) made a float
	// without a fraction ("/x/2") panic at request time.
	converter = map[string]string{
		"":      "",
		"str":   "",
		"int":   ":[0-9]+",
		"float": `:[0-9]+(?:\.[0-9]+)?`,
		"uuid":  ":[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
		"path":  ":*",
	}
	methods = map[string]bool{
		"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "HEAD": true, "OPTIONS": true,
		"QUERY": true,
	}
)

// Translate converts our path syntax to fasthttp/router's and returns the parameter names.
func Translate(path string) (string, []string, error) {
	if !strings.HasPrefix(path, "/") {
		return "", nil, fmt.Errorf("path %q must start with '/'", path)
	}
	var names []string
	var errs []string
	seen := map[string]bool{}
	out := paramRe.ReplaceAllStringFunc(path, func(m string) string {
		sub := paramRe.FindStringSubmatch(m)
		name, conv := sub[1], sub[2]
		suffix, ok := converter[conv]
		switch {
		case !nameRe.MatchString(name):
			errs = append(errs, fmt.Sprintf("bad parameter name %q", name))
		case !ok:
			errs = append(errs, fmt.Sprintf("unknown converter %q for {%s} (use int, float, uuid, str or path)", conv, name))
		case seen[name]:
			errs = append(errs, fmt.Sprintf("parameter {%s} appears twice", name))
		}
		seen[name] = true
		names = append(names, name)
		return "{" + name + suffix + "}"
	})
	if len(errs) > 0 {
		return "", nil, fmt.Errorf("path %q: %s", path, strings.Join(errs, "; "))
	}
	if i := strings.Index(out, ":*}"); i >= 0 && i+3 != len(out) {
		return "", nil, fmt.Errorf("path %q: a {name:path} parameter must be the last segment", path)
	}
	if strings.ContainsAny(paramRe.ReplaceAllString(path, ""), "{}") {
		return "", nil, fmt.Errorf("path %q: unbalanced braces", path)
	}
	return out, names, nil
}

// Table is a built route tree.
type Table struct {
	// Handler routes a request (404 and 405 included).
	Handler fasthttp.RequestHandler
	r       *frouter.Router
	// meta has the same paths as r; its handlers only name their route (see Match).
	meta *frouter.Router
}

// matchKey is the user value under which a meta handler leaves its *Compiled.
const matchKey = "\x00bolt.route"

// Match returns the route registered for method and path, without running it (nil if
// none), and whether the path has a route for some other method. Cold path: used to
// answer Expect: 100-continue from the headers alone.
func (t *Table) Match(method string, path []byte, ctx *fasthttp.RequestCtx) (*Compiled, bool) {
	if h, _ := t.meta.Lookup(method, string(path), ctx); h != nil {
		h(ctx)
		c, _ := ctx.UserValue(matchKey).(*Compiled)
		ctx.RemoveUserValue(matchKey)
		return c, true
	}
	for m := range methods {
		if h, _ := t.meta.Lookup(m, string(path), ctx); h != nil {
			return nil, true
		}
	}
	return nil, false
}

// Lookup returns the handler registered for method and path, or nil. It sets the path
// parameters on ctx as routing does. Used to answer CORS preflights for the route a
// browser is about to call.
func (t *Table) Lookup(method string, path []byte, ctx *fasthttp.RequestCtx) fasthttp.RequestHandler {
	h, _ := t.r.Lookup(method, string(path), ctx)
	return h
}

// redirectSlash answers a path that a route has with (or without) a trailing slash with a
// redirect to that route: 301 for GET and HEAD, 308 (method and body kept) otherwise. The
// Location is relative (RFC 9110 10.2.2), so it never names a host taken from the request.
func (t *Table) redirectSlash(ctx *fasthttp.RequestCtx) bool {
	method := ctx.Method()
	path := ctx.Request.URI().PathOriginal()
	if len(path) <= 1 || string(method) == fasthttp.MethodConnect {
		return false
	}
	var alt []byte
	if path[len(path)-1] == '/' {
		alt = append(alt, path[:len(path)-1]...)
	} else {
		alt = append(append(alt, path...), '/')
	}
	// "//host/..." (or "/\host") would be read as another origin by a browser.
	if len(alt) > 1 && (alt[1] == '/' || alt[1] == '\\') {
		return false
	}
	if h, _ := t.meta.Lookup(string(method), string(alt), ctx); h == nil {
		return false
	}
	if q := ctx.URI().QueryString(); len(q) > 0 {
		alt = append(append(alt, '?'), q...)
	}
	code := fasthttp.StatusPermanentRedirect
	if string(method) == fasthttp.MethodGet || string(method) == fasthttp.MethodHead {
		code = fasthttp.StatusMovedPermanently
	}
	ctx.SetStatusCode(code)
	ctx.Response.Header.SetBytesV("Location", alt)
	return true
}

// Build compiles routes into a request handler. Registration errors (bad syntax, unknown
// method, two routes for the same method and path) are returned, never panicked.
func Build(routes []Route, h Handlers) (fasthttp.RequestHandler, []*Compiled, error) {
	t, compiled, err := BuildTable(routes, h)
	if err != nil {
		return nil, nil, err
	}
	return t.Handler, compiled, nil
}

// BuildTable is Build returning the Table, for callers that also need Lookup.
func BuildTable(routes []Route, h Handlers) (table *Table, compiled []*Compiled, err error) {
	r, meta := frouter.New(), frouter.New()
	t := &Table{r: r, meta: meta}
	// fasthttp/router's own trailing-slash redirect (ctx.Redirect) writes an absolute
	// Location from the untrusted Host header, always http://; ours is relative.
	r.RedirectTrailingSlash = false
	notFound := h.NotFound
	r.NotFound = func(ctx *fasthttp.RequestCtx) {
		if !t.redirectSlash(ctx) {
			notFound(ctx)
		}
	}
	r.MethodNotAllowed = h.MethodNotAllowed
	r.PanicHandler = h.Panic
	// No redirects to a cleaned-up path (that would let "/a/../b" reach another route by
	// a second request); the trailing-slash redirect ("/items/" -> "/items") stays on.
	r.RedirectFixedPath = false
	defer func() {
		if p := recover(); p != nil {
			table, compiled, err = nil, nil, fmt.Errorf("route table: %v", p)
		}
	}()
	explicitHead := map[string]bool{}
	for _, rt := range routes {
		if rt.Method == "HEAD" {
			explicitHead[rt.Path] = true
		}
	}
	for _, rt := range routes {
		if !methods[rt.Method] {
			return nil, nil, fmt.Errorf("route %q: unsupported method %q", rt.Path, rt.Method)
		}
		path, names, err := Translate(rt.Path)
		if err != nil {
			return nil, nil, err
		}
		c := &Compiled{Route: rt, Params: names}
		compiled = append(compiled, c)
		handler := h.Route(c)
		r.Handle(rt.Method, path, handler)
		name := func(ctx *fasthttp.RequestCtx) { ctx.SetUserValue(matchKey, c) }
		meta.Handle(rt.Method, path, name)
		// RFC 9110 9.3.2: HEAD is GET without the body. fasthttp drops the body of a HEAD
		// response and keeps its Content-Length.
		if rt.Method == "GET" && !explicitHead[rt.Path] {
			r.Handle("HEAD", path, handler)
			meta.Handle("HEAD", path, name)
		}
	}
	t.Handler = r.Handler
	return t, compiled, nil
}
