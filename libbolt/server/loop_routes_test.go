package server

import (
	"testing"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/compress"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/cors"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/ratelimit"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// Routes whose chain could block a loop stay with fasthttp; CORS and compression run on
// completion (compression is on by default, so a plain route needs it turned off to have
// only the observation after its handler).
func TestLoopPlans(t *testing.T) {
	t.Parallel()
	rs := routes(
		router.Route{ID: 1, Method: "GET", Path: "/plain"},
		router.Route{ID: 2, Method: "GET", Path: "/cors"},
		router.Route{ID: 3, Method: "GET", Path: "/limited"},
		router.Route{ID: 4, Method: "GET", Path: "/ws", Flags: bridge.FlagWebSocket},
		router.Route{ID: 5, Method: "POST", Path: "/upload", Flags: bridge.FlagMultipart},
		router.Route{ID: 6, Method: "GET", Path: "/client"},
		router.Route{ID: 7, Method: "GET", Path: "/asgi", Flags: bridge.FlagASGI},
		router.Route{ID: 8, Method: "GET", Path: "/gzip"},
		router.Route{ID: 9, Method: "POST", Path: "/headers", Flags: bridge.FlagHeaders},
	)
	for _, tc := range []struct {
		name       string
		compressed bool // compression on by default
		want       map[uint16]loopPlan
	}{
		{"default", true, map[uint16]loopPlan{1: loopServeAfter, 2: loopServeAfter, 3: loopServeGuarded, 4: loopHandOn,
			5: loopHandOn, 6: loopHandOn, 7: loopHandOn, 8: loopServeAfter, 9: loopServeAfter}},
		{"compression off", false, map[uint16]loopPlan{1: loopServe, 2: loopServeAfter, 3: loopServeGuarded, 4: loopHandOn,
			5: loopHandOn, 6: loopHandOn, 7: loopHandOn, 8: loopServeAfter, 9: loopServe}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := Config{
				Routes:           rs,
				RouteCORS:        map[uint16]*cors.Config{2: {AllowAllOrigins: true}},
				RouteRateLimit:   map[uint16]*ratelimit.Config{3: {RPS: 1, Burst: 2}},
				RouteClient:      []uint16{6},
				RouteCompression: map[uint16]*compress.Config{8: {}},
			}
			if !tc.compressed {
				cfg.Compression = &compress.Config{Disabled: true}
			}
			ts := startMemServer(t, cfg, echoAnswer)
			got := ts.srv.loopPlans(ts.srv.cfg.Routes)
			for id, w := range tc.want {
				if got[id] != w {
					t.Errorf("route %d: plan %d, want %d", id, got[id], w)
				}
			}
		})
	}
}
