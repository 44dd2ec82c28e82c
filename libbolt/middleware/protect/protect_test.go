package protect

import (
	"testing"

	"github.com/django-bolt-go/django-bolt-go/libbolt/auth"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/ratelimit"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
	"github.com/django-bolt-go/django-bolt-go/libbolt/state"
)

func TestCompileStartupErrors(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]Config{
		"weak secret": {Backends: []auth.BackendConfig{{Type: "jwt", Secret: "short"}}},
		"bad proxy":   {TrustedProxies: []string{"nope"}},
		"bad limit": {Routes: []router.Route{{ID: 0, Method: "GET", Path: "/x"}},
			RouteRateLimit: map[uint16]*ratelimit.Config{0: {RPS: 0}}},
		"shared revocation without STATE": {Backends: []auth.BackendConfig{{Type: "jwt",
			Secret: "a-long-enough-secret-for-hs256-0123456789", RevocationID: 7701, RevocationShared: true}}},
	} {
		if routes, backends, err := Compile(&cfg); err == nil {
			t.Fatalf("%s: accepted", name)
		} else if routes != nil || backends != nil {
			t.Fatalf("%s: returned routes or backends with an error", name)
		}
	}
}

func TestCompileSkipsUnprotectedRoutes(t *testing.T) {
	t.Parallel()
	routes, _, err := Compile(&Config{
		Routes:         []router.Route{{ID: 0, Method: "GET", Path: "/open"}, {ID: 1, Method: "GET", Path: "/limited"}},
		RouteRateLimit: map[uint16]*ratelimit.Config{1: {RPS: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if routes[0] != nil || routes[1] == nil {
		t.Fatalf("routes = %v, want an entry for route 1 only", routes)
	}
}

// TestCompileKeepsBucketsInTheSharedStore: with STATE, limits go to Redis, without it to
// the process.
func TestCompileKeepsBucketsInTheSharedStore(t *testing.T) {
	t.Parallel()
	st, err := state.Open(&state.Config{URL: "redis://127.0.0.1:1/0"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, ok := newLimitStore(&Config{State: st}).(*ratelimit.SharedStore); !ok {
		t.Fatal("with a state store: not a SharedStore")
	}
	if _, ok := newLimitStore(&Config{}).(*ratelimit.BucketStore); !ok {
		t.Fatal("without a state store: not a BucketStore")
	}
}

// A JWT with its key given and an in-memory limit never wait on the network: such routes
// are the loop front end's (the blocking kinds are pinned in package auth).
func TestMayBlock(t *testing.T) {
	t.Parallel()
	rs := []router.Route{{ID: 1, Method: "GET", Path: "/a"}, {ID: 3, Method: "GET", Path: "/c"}}
	routes, _, err := Compile(&Config{
		Backends: []auth.BackendConfig{{Type: "jwt", Secret: "a-test-secret-that-is-long-enough-for-hs256"}},
		RouteAuth: map[uint16]*auth.RouteConfig{
			1: {Backends: []int{0}, Guards: []auth.GuardConfig{{Type: "is_authenticated"}}},
		},
		RouteRateLimit: map[uint16]*ratelimit.Config{3: {RPS: 1, Burst: 2}},
		Routes:         rs,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint16{1, 3} {
		if routes[id].MayBlock() {
			t.Errorf("route %d: MayBlock, want not", id)
		}
	}
}
