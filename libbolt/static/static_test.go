package static

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// fixture: root/css/site.css, root/link -> ../secret.txt (escapes), root/inner -> css/site.css
func fixture(t *testing.T) *Handler {
	t.Helper()
	base := t.TempDir()
	root := filepath.Join(base, "root")
	for name, body := range map[string]string{"root/css/site.css": "0123456789", "secret.txt": "secret"} {
		p := filepath.Join(base, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(base, "secret.txt"), filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "css", "site.css"), filepath.Join(root, "inner")); err != nil {
		t.Fatal(err)
	}
	h, err := New(&Config{URL: "/static/", Dirs: []Dir{{Root: root}, {Prefix: "vendor", Root: filepath.Join(root, "css")}}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func serve(h *Handler, method, uri string, headers ...string) *fasthttp.Response {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	for i := 0; i+1 < len(headers); i += 2 {
		ctx.Request.Header.Set(headers[i], headers[i+1])
	}
	h.Serve(&ctx)
	resp := &fasthttp.Response{}
	ctx.Response.CopyTo(resp)
	if ctx.Response.IsBodyStream() {
		resp.SetBody(ctx.Response.Body())
	}
	return resp
}

func TestServesFileWithValidators(t *testing.T) {
	t.Parallel()
	h := fixture(t)
	r := serve(h, "GET", "/static/css/site.css")
	if r.StatusCode() != 200 || string(r.Body()) != "0123456789" {
		t.Fatalf("GET: %d %q", r.StatusCode(), r.Body())
	}
	if ct := string(r.Header.ContentType()); !strings.HasPrefix(ct, "text/css") {
		t.Fatalf("content type %q", ct)
	}
	etag, lm := string(r.Header.Peek("ETag")), string(r.Header.Peek("Last-Modified"))
	if etag == "" || lm == "" {
		t.Fatalf("validators missing: ETag %q Last-Modified %q", etag, lm)
	}
	if r := serve(h, "GET", "/static/css/site.css", "If-None-Match", `"x", W/`+etag); r.StatusCode() != 304 || len(r.Body()) != 0 {
		t.Fatalf("If-None-Match: %d", r.StatusCode())
	}
	if r := serve(h, "GET", "/static/css/site.css", "If-Modified-Since", lm); r.StatusCode() != 304 {
		t.Fatalf("If-Modified-Since: %d", r.StatusCode())
	}
	// If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2): another ETag is a 200
	// even though the date alone would be a 304.
	if r := serve(h, "GET", "/static/css/site.css", "If-None-Match", `"other"`, "If-Modified-Since", lm); r.StatusCode() != 200 {
		t.Fatalf("If-None-Match mismatch with a matching If-Modified-Since: %d", r.StatusCode())
	}
	past := time.Now().Add(-48 * time.Hour).UTC().Format(http.TimeFormat)
	if r := serve(h, "GET", "/static/css/site.css", "If-Modified-Since", past); r.StatusCode() != 200 {
		t.Fatalf("If-Modified-Since in the past: %d", r.StatusCode())
	}
	if r := serve(h, "GET", "/static/vendor/site.css"); r.StatusCode() != 200 {
		t.Fatalf("prefixed dir: %d", r.StatusCode())
	}
	if r := serve(h, "GET", "/static/inner"); r.StatusCode() != 200 {
		t.Fatalf("symlink inside the root: %d", r.StatusCode())
	}
}

func TestRanges(t *testing.T) {
	t.Parallel()
	h := fixture(t)
	for _, tc := range []struct {
		rng, body, contentRange string
		status                  int
	}{
		{"bytes=2-4", "234", "bytes 2-4/10", 206},
		{"bytes=7-", "789", "bytes 7-9/10", 206},
		{"bytes=-2", "89", "bytes 8-9/10", 206},
		{"bytes=5-100", "56789", "bytes 5-9/10", 206},
		{"bytes=0-1,4-5", "0123456789", "", 200},
		{"bytes=10-", "", "bytes */10", 416},
		{"bytes=4-2", "", "bytes */10", 416},
		{"items=1-2", "", "bytes */10", 416},
	} {
		r := serve(h, "GET", "/static/css/site.css", "Range", tc.rng)
		if r.StatusCode() != tc.status || string(r.Header.Peek("Content-Range")) != tc.contentRange {
			t.Fatalf("%s: %d %q, want %d %q", tc.rng, r.StatusCode(), r.Header.Peek("Content-Range"), tc.status, tc.contentRange)
		}
		if tc.status != 416 && string(r.Body()) != tc.body {
			t.Fatalf("%s: body %q, want %q", tc.rng, r.Body(), tc.body)
		}
	}
	// If-Range with another version: the whole file.
	if r := serve(h, "GET", "/static/css/site.css", "Range", "bytes=0-1", "If-Range", `"old"`); r.StatusCode() != 200 {
		t.Fatalf("If-Range mismatch: %d", r.StatusCode())
	}
}

func TestTraversalRefused(t *testing.T) {
	t.Parallel()
	h := fixture(t)
	for _, uri := range []string{
		"/static/../secret.txt", "/static/%2e%2e/secret.txt", "/static/css/%2E%2E/%2e%2e/secret.txt",
		"/static/..%2fsecret.txt", "/static/css%5c..%5c..%5csecret.txt", "/static/css/site.css%00.png",
		"/static/link", "/static//etc/passwd", "/static/./css/site.css", "/static/", "/static/css",
		"/static/%zz",
	} {
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod("GET")
		// Set the raw URI without fasthttp's normalisation of the path we look at.
		ctx.Request.Header.SetRequestURI(uri)
		ctx.Request.URI().DisablePathNormalizing = true
		ctx.Request.SetRequestURI(uri)
		h.Serve(&ctx)
		if ctx.Response.StatusCode() != 404 || strings.Contains(string(ctx.Response.Body()), "secret") {
			t.Fatalf("%s: %d %q, want 404", uri, ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}

func TestOnlyGetAndHead(t *testing.T) {
	t.Parallel()
	h := fixture(t)
	if r := serve(h, "POST", "/static/css/site.css"); r.StatusCode() != 405 || string(r.Header.Peek("Allow")) != "GET, HEAD" {
		t.Fatalf("POST: %d Allow %q", r.StatusCode(), r.Header.Peek("Allow"))
	}
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	for _, c := range []Config{
		{URL: "static/"}, {URL: "/static"}, {URL: "/"},
		{URL: "/s/", Dirs: []Dir{{Root: "relative"}}},
		{URL: "/s/", Dirs: []Dir{{Root: "/definitely/not/here"}}},
	} {
		if _, err := New(&c); err == nil {
			t.Fatalf("%+v: accepted", c)
		}
	}
}
