package server

import (
	"encoding/json"
	"testing"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// TestWireRawQueryForRequestRoutes pins request.META["QUERY_STRING"]'s source: routes
// that take the request get the query exactly as sent in extra["query_string"]; others
// get nothing extra.
func TestWireRawQueryForRequestRoutes(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{
		Routes: routes(
			router.Route{ID: 1, Method: "GET", Path: "/req"},
			router.Route{ID: 2, Method: "GET", Path: "/plain"},
		),
		RouteClient: []uint16{1},
	}, func(r *bridge.Request) *bridge.Response {
		return &bridge.Response{Status: 200, ContentType: 1, Body: append([]byte(nil), r.Extra...)}
	})
	tests := []struct{ query, want string }{
		{"a=%2F&b=+&c", "a=%2F&b=+&c"},
		{"a=1&a=2&b=", "a=1&a=2&b="},
		{"x=%7e&y=caf%C3%A9", "x=%7e&y=caf%C3%A9"},
		{`q="x"\y`, `q="x"\y`}, // quotes and backslashes escaped in the JSON, not lost
		{"n=café", "n=café"},   // raw UTF-8 bytes
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			resp := ts.get(t, "/req?"+tt.query)
			var extra struct {
				QueryString *string `json:"query_string"`
			}
			if err := json.Unmarshal(resp.Body(), &extra); err != nil {
				t.Fatalf("extra %q: %v", resp.Body(), err)
			}
			if extra.QueryString == nil || *extra.QueryString != tt.want {
				t.Fatalf("extra %q, want query_string %q", resp.Body(), tt.want)
			}
		})
	}
	t.Run("no query", func(t *testing.T) {
		var extra map[string]any
		if err := json.Unmarshal(ts.get(t, "/req").Body(), &extra); err != nil {
			t.Fatal(err)
		}
		if _, ok := extra["query_string"]; ok {
			t.Fatalf("extra %v carries a query_string for a request without one", extra)
		}
	})
	t.Run("route without the request", func(t *testing.T) {
		if body := ts.get(t, "/plain?a=1").Body(); len(body) != 0 {
			t.Fatalf("extra %q for a route that does not take the request", body)
		}
	})
}

func TestAppendJSONStringReplacesInvalidUTF8(t *testing.T) {
	got := string(appendJSONString(nil, []byte("a=\xff&b=\"")))
	if got != `"a=\ufffd\u0026b=\""` {
		t.Fatalf("got %s", got)
	}
}
