package router

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/testutil"
)

func TestMain(m *testing.M) { os.Exit(testutil.RunWithLeakCheck(m)) }

func TestTranslate(t *testing.T) {
	t.Parallel()
	const uuidRe = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
	tests := []struct {
		in      string
		want    string
		params  []string
		wantErr string // substring of the error; "" means success
	}{
		{in: "/", want: "/"},
		{in: "/items", want: "/items"},
		{in: "/items/{id}", want: "/items/{id}", params: []string{"id"}},
		{in: "/items/{id:str}", want: "/items/{id}", params: []string{"id"}},
		{in: "/items/{id:int}", want: "/items/{id:[0-9]+}", params: []string{"id"}},
		{in: "/p/{x:float}", want: `/p/{x:[0-9]+(?:\.[0-9]+)?}`, params: []string{"x"}},
		{in: "/u/{key:uuid}", want: "/u/{key:" + uuidRe + "}", params: []string{"key"}},
		{in: "/files/{rest:path}", want: "/files/{rest:*}", params: []string{"rest"}},
		{in: "/a/{x}/b/{y:int}/{z:path}", want: "/a/{x}/b/{y:[0-9]+}/{z:*}", params: []string{"x", "y", "z"}},
		{in: "/o/{_id2}", want: "/o/{_id2}", params: []string{"_id2"}},

		{in: "", wantErr: "must start with '/'"},
		{in: "items/{id}", wantErr: "must start with '/'"},
		{in: "/files/{rest:path}/more", wantErr: "must be the last segment"},
		{in: "/{a:path}/{b:path}", wantErr: "must be the last segment"},
		{in: "/items/{}", wantErr: "bad parameter name"},
		{in: "/items/{:int}", wantErr: "bad parameter name"},
		{in: "/items/{1id}", wantErr: "bad parameter name"},
		{in: "/items/{a-b}", wantErr: "bad parameter name"},
		{in: "/items/{a b}", wantErr: "bad parameter name"},
		{in: "/items/{id:integer}", wantErr: `unknown converter "integer"`},
		{in: "/items/{id:[0-9]+}", wantErr: "unknown converter"},
		{in: "/items/{id:Int}", wantErr: "unknown converter"},
		{in: "/a/{id}/b/{id}", wantErr: "appears twice"},
		{in: "/a/{id}/b/{id:int}", wantErr: "appears twice"},
		{in: "/items/{id", wantErr: "unbalanced braces"},
		{in: "/items/id}", wantErr: "unbalanced braces"},
		{in: "/items/{{id}}", wantErr: "unbalanced braces"},
		{in: "/items/{id}}", wantErr: "unbalanced braces"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, params, err := Translate(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Translate(%q) = %q, %v, err %v; want error containing %q", tt.in, got, params, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want || !reflect.DeepEqual(params, tt.params) {
				t.Fatalf("Translate(%q) = %q, %q, %v; want %q, %q", tt.in, got, params, err, tt.want, tt.params)
			}
		})
	}
}

// result is what the test handlers saw for one request.
type result struct {
	status int
	body   string
	allow  string
}

// serve runs one request through h the way fasthttp would after parsing it.
func serve(h fasthttp.RequestHandler, method, uri string) result {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	h(&ctx)
	return result{ctx.Response.StatusCode(), string(ctx.Response.Body()), string(ctx.Response.Header.Peek("Allow"))}
}

// testHandlers answer "route <id>" followed by "name=value" for every parameter, so the
// test sees which route matched and what the router extracted.
func testHandlers() Handlers {
	return Handlers{
		Route: func(c *Compiled) fasthttp.RequestHandler {
			return func(ctx *fasthttp.RequestCtx) {
				fmt.Fprintf(ctx, "route %d", c.ID)
				for _, name := range c.Params {
					v, ok := ctx.UserValue(name).(string)
					if !ok {
						fmt.Fprintf(ctx, " %s=<missing>", name)
						continue
					}
					fmt.Fprintf(ctx, " %s=%s", name, v)
				}
			}
		},
		NotFound: func(ctx *fasthttp.RequestCtx) {
			ctx.SetStatusCode(404)
			ctx.SetBodyString("not found")
		},
		MethodNotAllowed: func(ctx *fasthttp.RequestCtx) {
			ctx.SetStatusCode(405)
			ctx.SetBodyString("not allowed")
		},
	}
}

func TestBuildMatches(t *testing.T) {
	t.Parallel()
	routes := []Route{
		{ID: 1, Method: "GET", Path: "/"},
		{ID: 2, Method: "GET", Path: "/items"},
		{ID: 3, Method: "GET", Path: "/items/{id}"},
		{ID: 4, Method: "POST", Path: "/items"},
		{ID: 5, Method: "GET", Path: "/n/{id:int}"},
		{ID: 6, Method: "GET", Path: "/f/{x:float}"},
		{ID: 7, Method: "GET", Path: "/u/{key:uuid}"},
		{ID: 8, Method: "GET", Path: "/files/{rest:path}"},
		{ID: 9, Method: "DELETE", Path: "/users/{uid}/posts/{pid:int}"},
		{ID: 10, Method: "PUT", Path: "/items/{id}"},
		{ID: 11, Method: "PATCH", Path: "/items/{id}"},
		{ID: 12, Method: "OPTIONS", Path: "/opt"},
		{ID: 13, Method: "HEAD", Path: "/head"},
	}
	h, compiled, err := Build(routes, testHandlers())
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if len(compiled) != len(routes) {
		t.Fatalf("Build compiled %d routes, want %d", len(compiled), len(routes))
	}
	for i, c := range compiled {
		if c.Route != routes[i] {
			t.Fatalf("compiled[%d] = %+v, want %+v", i, c.Route, routes[i])
		}
	}
	if got := compiled[8].Params; !reflect.DeepEqual(got, []string{"uid", "pid"}) {
		t.Fatalf("params of route 9 = %q", got)
	}

	const uuid = "123e4567-e89b-12d3-a456-426614174000"
	tests := []struct {
		method, uri string
		want        result
	}{
		{"GET", "/", result{status: 200, body: "route 1"}},
		{"GET", "/items", result{status: 200, body: "route 2"}},
		{"POST", "/items", result{status: 200, body: "route 4"}},
		{"GET", "/items/42", result{status: 200, body: "route 3 id=42"}},
		{"GET", "/items/42?x=1", result{status: 200, body: "route 3 id=42"}},
		{"PUT", "/items/7", result{status: 200, body: "route 10 id=7"}},
		{"PATCH", "/items/7", result{status: 200, body: "route 11 id=7"}},
		// Values are handed over raw; the server percent-decodes them, so an encoded
		// slash stays inside its parameter.
		{"GET", "/items/a%2Fb%20c", result{status: 200, body: "route 3 id=a%2Fb%20c"}},
		{"GET", "/n/123", result{status: 200, body: "route 5 id=123"}},
		{"GET", "/n/abc", result{status: 404, body: "not found"}},
		{"GET", "/n/12abc", result{status: 404, body: "not found"}},
		{"GET", "/n/-1", result{status: 404, body: "not found"}},
		{"GET", "/f/1.5", result{status: 200, body: "route 6 x=1.5"}},
		// Pins a fix: a float without a fraction panicked inside fasthttp/router.
		{"GET", "/f/2", result{status: 200, body: "route 6 x=2"}},
		{"GET", "/f/1.", result{status: 404, body: "not found"}},
		{"GET", "/f/x", result{status: 404, body: "not found"}},
		{"GET", "/u/" + uuid, result{status: 200, body: "route 7 key=" + uuid}},
		{"GET", "/u/" + strings.ToUpper(uuid), result{status: 200, body: "route 7 key=" + strings.ToUpper(uuid)}},
		{"GET", "/u/123e4567", result{status: 404, body: "not found"}},
		{"GET", "/u/" + uuid + "0", result{status: 404, body: "not found"}},
		{"GET", "/files/a/b/c.txt", result{status: 200, body: "route 8 rest=a/b/c.txt"}},
		{"GET", "/files/x", result{status: 200, body: "route 8 rest=x"}},
		{"GET", "/files/", result{status: 200, body: "route 8 rest="}},
		{"GET", "/files/a//b/", result{status: 200, body: "route 8 rest=a//b/"}},
		{"DELETE", "/users/ann/posts/9", result{status: 200, body: "route 9 uid=ann pid=9"}},
		{"OPTIONS", "/opt", result{status: 200, body: "route 12"}},
		{"HEAD", "/head", result{status: 200, body: "route 13"}},
		{"HEAD", "/items", result{status: 200, body: "route 2"}}, // GET routes answer HEAD
		{"HEAD", "/items/5", result{status: 200, body: "route 3 id=5"}},
		{"GET", "/head", result{status: 405, body: "not allowed", allow: "HEAD, OPTIONS"}},
		{"GET", "/nope", result{status: 404, body: "not found"}},
		{"GET", "/items/1/2", result{status: 404, body: "not found"}},
		{"GET", "/ITEMS", result{status: 404, body: "not found"}},
		{"DELETE", "/items", result{status: 405, body: "not allowed", allow: "GET, HEAD, OPTIONS, POST"}},
		{"POST", "/items/3", result{status: 405, body: "not allowed", allow: "GET, HEAD, OPTIONS, PATCH, PUT"}},
		{"GET", "/opt", result{status: 404, body: "not found"}}, // fasthttp/router leaves OPTIONS out of Allow
		{"TRACE", "/items", result{status: 405, body: "not allowed", allow: "GET, HEAD, OPTIONS, POST"}},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.uri, func(t *testing.T) {
			t.Parallel()
			if got := serve(h, tt.method, tt.uri); got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestBuildRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		routes  []Route
		wantErr string
	}{
		{"unsupported method", []Route{{ID: 1, Method: "TRACE", Path: "/"}}, "unsupported method"},
		{"lower-case method", []Route{{ID: 1, Method: "get", Path: "/"}}, "unsupported method"},
		{"empty method", []Route{{ID: 1, Method: "", Path: "/"}}, "unsupported method"},
		{"bad path", []Route{{ID: 1, Method: "GET", Path: "/a/{1}"}}, "bad parameter name"},
		{"same method and path", []Route{
			{ID: 1, Method: "GET", Path: "/items"},
			{ID: 2, Method: "GET", Path: "/items"},
		}, "route table"},
		{"same shape, other param name", []Route{
			{ID: 1, Method: "GET", Path: "/items/{id}"},
			{ID: 2, Method: "GET", Path: "/items/{name}"},
		}, "route table"},
		{"catch-all twice", []Route{
			{ID: 1, Method: "GET", Path: "/f/{a:path}"},
			{ID: 2, Method: "GET", Path: "/f/{b:path}"},
		}, "route table"},
		{"params not separated", []Route{{ID: 1, Method: "GET", Path: "/a/{x}{y}"}}, "route table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, compiled, err := Build(tt.routes, testHandlers())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Build = err %v; want an error containing %q", err, tt.wantErr)
			}
			if h != nil || compiled != nil {
				t.Fatalf("Build returned a handler or routes along with an error")
			}
		})
	}
}

func TestBuildNoRoutes(t *testing.T) {
	t.Parallel()
	h, compiled, err := Build(nil, testHandlers())
	if err != nil || len(compiled) != 0 {
		t.Fatalf("Build(nil) = %v, %v", compiled, err)
	}
	if got := serve(h, "GET", "/"); got.status != 404 {
		t.Fatalf("GET / with no routes = %+v", got)
	}
}

func TestBuildRecoversHandlerPanics(t *testing.T) {
	t.Parallel()
	hs := testHandlers()
	hs.Route = func(*Compiled) fasthttp.RequestHandler {
		return func(*fasthttp.RequestCtx) { panic("boom") }
	}
	var recovered any
	hs.Panic = func(ctx *fasthttp.RequestCtx, p any) {
		recovered = p
		ctx.SetStatusCode(500)
	}
	h, _, err := Build([]Route{{ID: 1, Method: "GET", Path: "/x"}}, hs)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if got := serve(h, "GET", "/x"); got.status != 500 || recovered != "boom" {
		t.Fatalf("got %+v, recovered %v; want 500 from the panic handler", got, recovered)
	}
}
