package static

import (
	"os"
	"path/filepath"
	"testing"
)

// MaxAge (settings.BOLT_STATIC_MAX_AGE) adds Cache-Control to files served, never to 404s.
func TestMaxAgeSetsCacheControl(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "a.css"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	day := 86400
	h, err := New(&Config{URL: "/static/", Dirs: []Dir{{Root: root}}, MaxAge: &day})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(serve(h, "GET", "/static/a.css").Header.Peek("Cache-Control")); got != "public, max-age=86400" {
		t.Fatalf("Cache-Control %q", got)
	}
	if got := string(serve(h, "GET", "/static/missing.css").Header.Peek("Cache-Control")); got != "" {
		t.Fatalf("404 got Cache-Control %q", got)
	}
	plain, err := New(&Config{URL: "/static/", Dirs: []Dir{{Root: root}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(serve(plain, "GET", "/static/a.css").Header.Peek("Cache-Control")); got != "" {
		t.Fatalf("no MaxAge but Cache-Control %q", got)
	}
	negative := -1
	if _, err := New(&Config{URL: "/static/", Dirs: []Dir{{Root: root}}, MaxAge: &negative}); err == nil {
		t.Fatal("a negative max_age was accepted")
	}
}
