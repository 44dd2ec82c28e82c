package server

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/django-bolt-go/django-bolt-go/libbolt/accesslog"
	"github.com/django-bolt-go/django-bolt-go/libbolt/auth"
	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/compress"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
	"github.com/django-bolt-go/django-bolt-go/libbolt/static"
)

// TestFailedStartReleasesEverything pins that newWithWaker, failing at any point after
// the auth backends are compiled, leaves no revocation store registered, no access-log
// goroutine running and no descriptor open. Not parallel: it counts the process's
// descriptors and goroutines, which parallel tests would change under it.
func TestFailedStartReleasesEverything(t *testing.T) {
	const storeID = 914_001
	jwt := []auth.BackendConfig{{Type: "jwt", Secret: strings.Repeat("s", 32), RevocationID: storeID}}
	badLevel := 99
	cases := map[string]func(c *Config){
		"static response": func(c *Config) {
			c.StaticResponses = []StaticResponse{{Path: "/doc", ContentType: "text/plain", File: "/nonexistent/bolt-doc"}}
		},
		"static dir": func(c *Config) {
			c.Static = &static.Config{URL: "/static/", Dirs: []static.Dir{{Root: "/nonexistent/bolt-static"}}}
		},
		"compression": func(c *Config) { c.Compression = &compress.Config{BrotliQuality: &badLevel} },
		"observability": func(c *Config) {
			c.AccessLog = &accesslog.Config{Format: "xml"}
		},
		"route table": func(c *Config) {
			c.AccessLog = &accesslog.Config{} // opened before the table fails
			c.Routes = append(c.Routes, router.Route{ID: 1, Method: "GET", Path: "no-slash"})
		},
	}
	for name, breakIt := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := Config{AuthBackends: jwt, Routes: routes(router.Route{ID: 0, Method: "GET", Path: "/ok"})}
			cfg.applyDefaults()
			breakIt(&cfg)
			fds, goroutines := openFDs(t), runtime.NumGoroutine()
			efd, err := bridge.NewEventFD()
			if err != nil {
				t.Fatal(err)
			}
			if s, err := newWithWaker(&cfg, efd); err == nil {
				s.Close()
				t.Fatal("start succeeded")
			}
			if n, _ := auth.Revoke([]byte(strconv.Itoa(storeID) + "\x00jti")); n != 0 {
				t.Errorf("revocation store still registered (%d sets)", n)
			}
			if got := openFDs(t); got != fds {
				t.Errorf("%d descriptors open after the failed start, %d before", got, fds)
			}
			if got := runtime.NumGoroutine(); got > goroutines {
				t.Errorf("%d goroutines after the failed start, %d before", got, goroutines)
			}
		})
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}
