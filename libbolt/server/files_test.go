package server

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// fileAnswer replies to /f?path=... with a KindFile reply for that path.
func fileAnswer(r *bridge.Request) *bridge.Response {
	q := strings.Split(string(r.Query), "\x00")
	path, extra := "", ""
	for i := 0; i+1 < len(q); i += 2 {
		switch q[i] {
		case "path":
			path = q[i+1]
		case "ctype":
			extra = "Content-Type\x00" + q[i+1]
		}
	}
	headers := "Content-Disposition\x00attachment; filename=\"report.txt\""
	if extra != "" {
		headers += "\x00" + extra
	}
	return &bridge.Response{Kind: bridge.KindFile, Status: 200, Headers: []byte(headers), Body: []byte(path)}
}

func TestFileReplies(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "report 100%.txt")
	if err := os.WriteFile(file, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, Config{Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/f"})}, fileAnswer)
	target := "/f?path=" + strings.ReplaceAll(strings.ReplaceAll(file, "%", "%25"), " ", "%20")

	resp := ts.get(t, target)
	if resp.StatusCode() != 200 || string(resp.Body()) != "0123456789" {
		t.Fatalf("file: %d %q", resp.StatusCode(), resp.Body())
	}
	if got := string(resp.Header.ContentType()); !strings.HasPrefix(got, "text/plain") {
		t.Fatalf("content type from the extension: %q", got)
	}
	if got := string(resp.Header.Peek("Content-Disposition")); got != `attachment; filename="report.txt"` {
		t.Fatalf("Content-Disposition from Python: %q", got)
	}
	lastModified := string(resp.Header.Peek("Last-Modified"))

	c := ts.dial(t)
	ranged := c.do(t, "GET "+target+" HTTP/1.1\r\nHost: t\r\nRange: bytes=2-4\r\n\r\n")
	if ranged.StatusCode() != 206 || string(ranged.Body()) != "234" {
		t.Fatalf("range: %d %q", ranged.StatusCode(), ranged.Body())
	}
	// An unsatisfiable range is a JSON 416, like every error Go writes (was fasthttp's text).
	unsatisfiable := c.do(t, "GET "+target+" HTTP/1.1\r\nHost: t\r\nRange: bytes=50-60\r\n\r\n")
	assertJSONError(t, unsatisfiable, 416, "Range Not Satisfiable")
	if got := string(unsatisfiable.Header.Peek("Content-Range")); got != "bytes */10" {
		t.Fatalf("416 Content-Range %q", got)
	}
	cached := c.do(t, "GET "+target+" HTTP/1.1\r\nHost: t\r\nIf-Modified-Since: "+lastModified+"\r\n\r\n")
	if cached.StatusCode() != http.StatusNotModified {
		t.Fatalf("If-Modified-Since: %d", cached.StatusCode())
	}

	explicit := ts.get(t, target+"&ctype=text/csv")
	if got := string(explicit.Header.ContentType()); got != "text/csv" {
		t.Fatalf("explicit content type: %q", got)
	}

	assertJSONError(t, ts.get(t, "/f?path="+filepath.Join(dir, "missing.txt")), 404, "File not found")
	for _, bad := range []string{"relative.txt", dir + "/../" + filepath.Base(dir) + "/x"} {
		assertJSONError(t, ts.get(t, "/f?path="+bad), 500, "Internal Server Error")
	}
}
