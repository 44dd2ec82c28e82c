package static

import (
	"os"
	"path/filepath"
	"testing"
)

// Media (MEDIA_URL): private caching, nosniff on every answer (404s too), and types a
// browser could run sent as downloads; inert types are shown inline.
func TestMediaServesUploadsSafely(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for name, body := range map[string]string{
		"a.png": "png", "page.html": "<script>", "x.svg": "<svg/>", "app.js": "x", "doc.pdf": "%PDF", "n.txt": "t",
	} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	age := 60
	h, err := New(&Config{URL: "/media/", Dirs: []Dir{{Root: root}}, MaxAge: &age, Media: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, inline := range map[string]bool{
		"a.png": true, "doc.pdf": true, "n.txt": true, "page.html": false, "x.svg": false, "app.js": false,
	} {
		r := serve(h, "GET", "/media/"+name)
		if r.StatusCode() != 200 {
			t.Fatalf("%s: %d", name, r.StatusCode())
		}
		disp, ctype := string(r.Header.Peek("Content-Disposition")), string(r.Header.ContentType())
		if inline && (disp != "" || ctype == "application/octet-stream") {
			t.Errorf("%s: sent as a download (%q, %q)", name, ctype, disp)
		}
		if !inline && (disp != "attachment" || ctype != "application/octet-stream") {
			t.Errorf("%s: not a download (%q, %q)", name, ctype, disp)
		}
		if got := string(r.Header.Peek("Cache-Control")); got != "private, max-age=60" {
			t.Errorf("%s: Cache-Control %q", name, got)
		}
		if got := string(r.Header.Peek("X-Content-Type-Options")); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q", name, got)
		}
	}
	if r := serve(h, "GET", "/media/missing.png"); r.StatusCode() != 404 || string(r.Header.Peek("X-Content-Type-Options")) != "nosniff" {
		t.Fatalf("404: %d %q", r.StatusCode(), r.Header.Peek("X-Content-Type-Options"))
	}
	// static keeps native types and no nosniff change
	s, err := New(&Config{URL: "/static/", Dirs: []Dir{{Root: root}}})
	if err != nil {
		t.Fatal(err)
	}
	if r := serve(s, "GET", "/static/page.html"); string(r.Header.Peek("Content-Disposition")) != "" {
		t.Fatal("static file sent as a download")
	}
}
