// Package static serves Django's STATIC_URL from disk (STATIC_ROOT, and with --dev the
// directories of the staticfiles finders) without calling Python.
//
// Responses carry ETag and Last-Modified and answer If-None-Match / If-Modified-Since with
// 304 and a single byte Range with 206 (416 when unsatisfiable). The request path is
// checked on its raw form: anything that could leave a directory (a ".." or "." segment,
// encoded or not, backslashes, NUL, empty segments, a symlink that resolves outside the
// directory) is a 404, never a normalised second guess.
package static

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// Dir is one directory files are looked up in, in order. Prefix (no slashes around it)
// is the first part of the URL path below STATIC_URL that maps to Root, as in
// STATICFILES_DIRS' ("prefix", "/path") form; "" maps the whole namespace.
type Dir struct {
	Prefix string `json:"prefix"`
	Root   string `json:"root"`
}

// Config is the "static" section of the server configuration.
type Config struct {
	URL  string `json:"url"` // STATIC_URL, a local path like "/static/"
	Dirs []Dir  `json:"dirs"`
	// MaxAge, when set, adds "Cache-Control: public, max-age=N" to files served
	// (settings.BOLT_STATIC_MAX_AGE, django-bolt's name; seconds).
	MaxAge *int `json:"max_age"`
	// Media: this is MEDIA_URL (user uploads) from MEDIA_ROOT. Its Cache-Control is
	// "private", every answer carries "X-Content-Type-Options: nosniff", and a file whose
	// type a browser could run (HTML, SVG, JavaScript, XML...) is sent as a download
	// (application/octet-stream, Content-Disposition: attachment): an uploaded page must
	// not run scripts in this site's origin.
	Media bool `json:"media"`
}

// Handler serves one Config.
type Handler struct {
	url          []byte
	dirs         []Dir  // roots resolved through symlinks
	cacheControl string // "" without MaxAge
	media        bool
}

var (
	notFoundBody   = []byte(`{"detail":"Not Found"}`)
	notAllowedBody = []byte(`{"detail":"Method Not Allowed"}`)
	rangeBody      = []byte(`{"detail":"Range Not Satisfiable"}`)
	contentJSON    = []byte("application/json")
)

// New validates c; a directory that does not exist is an error (a typo in STATIC_ROOT
// should stop start-up, not give 404s).
func New(c *Config) (*Handler, error) {
	if len(c.URL) < 2 || c.URL[0] != '/' || c.URL[len(c.URL)-1] != '/' || strings.ContainsAny(c.URL, "?#{} \\") {
		return nil, fmt.Errorf("static url %q must be a local path like /static/", c.URL)
	}
	h := &Handler{url: []byte(c.URL), media: c.Media}
	if c.MaxAge != nil {
		if *c.MaxAge < 0 {
			return nil, fmt.Errorf("static max_age %d must be >= 0 seconds", *c.MaxAge)
		}
		scope := "public"
		if c.Media {
			scope = "private" // uploads may be one user's: no shared caches
		}
		h.cacheControl = scope + ", max-age=" + strconv.Itoa(*c.MaxAge)
	}
	for _, d := range c.Dirs {
		if !filepath.IsAbs(d.Root) {
			return nil, fmt.Errorf("static directory %q must be absolute", d.Root)
		}
		if strings.Contains(d.Prefix, "/") && strings.Trim(d.Prefix, "/") != d.Prefix {
			return nil, fmt.Errorf("static prefix %q must not start or end with '/'", d.Prefix)
		}
		real, err := filepath.EvalSymlinks(d.Root)
		if err != nil {
			return nil, fmt.Errorf("static directory: %w", err)
		}
		if fi, err := os.Stat(real); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("static directory %q is not a directory", d.Root)
		}
		h.dirs = append(h.dirs, Dir{Prefix: d.Prefix, Root: real})
	}
	return h, nil
}

// Match reports whether the (normalised) request path is under the static URL.
func (h *Handler) Match(path []byte) bool { return bytes.HasPrefix(path, h.url) }

// Serve answers a request whose path Match accepted.
func (h *Handler) Serve(ctx *fasthttp.RequestCtx) {
	if h.media {
		ctx.Response.Header.Set("X-Content-Type-Options", "nosniff")
	}
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Response.Header.Set("Allow", "GET, HEAD")
		fail(ctx, fasthttp.StatusMethodNotAllowed, notAllowedBody)
		return
	}
	rel, ok := relPath(ctx.Request.URI().PathOriginal(), h.url)
	if !ok {
		fail(ctx, fasthttp.StatusNotFound, notFoundBody)
		return
	}
	f, fi := h.open(rel)
	if f == nil {
		fail(ctx, fasthttp.StatusNotFound, notFoundBody)
		return
	}
	if h.cacheControl != "" {
		ctx.Response.Header.Set("Cache-Control", h.cacheControl)
	}
	send(ctx, f, fi, rel, h.media)
}

// inertMedia are the types an upload is shown inline as: a browser renders them without
// running anything of them in the page's origin. Any other type is sent as a download.
var inertMedia = []string{"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp",
	"image/x-icon", "image/vnd.microsoft.icon", "audio/", "video/", "font/", "text/plain", "text/css", "text/csv",
	"application/pdf", "application/json"}

func inert(ctype string) bool {
	for _, t := range inertMedia {
		if strings.HasPrefix(ctype, t) {
			return true
		}
	}
	return false
}

// relPath decodes the part of the raw path after prefix and refuses anything but plain
// names separated by single slashes. The raw path must itself start with the prefix: a
// path that only reaches it after normalisation ("/x/../static/a", "/%73tatic/a") is
// refused rather than guessed at.
func relPath(raw, prefix []byte) (string, bool) {
	if !bytes.HasPrefix(raw, prefix) {
		return "", false
	}
	rel, err := url.PathUnescape(string(raw[len(prefix):]))
	if err != nil || rel == "" || strings.ContainsAny(rel, "\\\x00") {
		return "", false
	}
	for seg := range strings.SplitSeq(rel, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", false
		}
	}
	return rel, true
}

// open returns the first regular file named rel in the directories, opened, or nil. A
// symlink is followed only when its target stays inside the same directory.
func (h *Handler) open(rel string) (*os.File, os.FileInfo) {
	for _, d := range h.dirs {
		name := rel
		if d.Prefix != "" {
			var ok bool
			if name, ok = strings.CutPrefix(rel, d.Prefix+"/"); !ok {
				continue
			}
		}
		real, err := filepath.EvalSymlinks(filepath.Join(d.Root, filepath.FromSlash(name)))
		if err != nil || !strings.HasPrefix(real, d.Root+string(filepath.Separator)) {
			continue
		}
		f, err := os.Open(real)
		if err != nil {
			continue
		}
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			_ = f.Close()
			continue
		}
		return f, fi
	}
	return nil, nil
}

// send writes the file with validators, answering conditional and range requests.
func send(ctx *fasthttp.RequestCtx, f *os.File, fi os.FileInfo, name string, media bool) {
	size := fi.Size()
	mod := fi.ModTime().UTC().Truncate(time.Second)
	etag := `"` + strconv.FormatInt(mod.Unix(), 16) + "-" + strconv.FormatInt(size, 16) + `"`
	h := &ctx.Response.Header
	h.Set("ETag", etag)
	h.Set("Last-Modified", mod.Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	if notModified(&ctx.Request.Header, etag, mod) {
		_ = f.Close()
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return
	}
	ctype := mime.TypeByExtension(filepath.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	if media && !inert(ctype) {
		ctype = "application/octet-stream"
		h.Set("Content-Disposition", "attachment")
	}
	start, end := int64(0), size-1
	if r := ctx.Request.Header.Peek("Range"); len(r) > 0 && rangeApplies(&ctx.Request.Header, etag) {
		var ok bool
		if start, end, ok = parseRange(r, size); !ok {
			_ = f.Close()
			h.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
			fail(ctx, fasthttp.StatusRequestedRangeNotSatisfiable, rangeBody)
			return
		}
		if start > 0 || end < size-1 {
			ctx.SetStatusCode(fasthttp.StatusPartialContent)
			h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end, size))
		}
	}
	ctx.SetContentType(ctype)
	if start > 0 {
		if _, err := f.Seek(start, 0); err != nil {
			_ = f.Close()
			fail(ctx, fasthttp.StatusInternalServerError, []byte(`{"detail":"Internal Server Error"}`))
			return
		}
	}
	// fasthttp closes the stream once the body is written (or the response is dropped).
	n := end - start + 1
	ctx.SetBodyStream(&section{LimitedReader: io.LimitedReader{R: f, N: n}, f: f}, int(n))
}

// section reads at most N bytes of the file and closes it: the body stream of a range
// must not run past the range even when read by something that ignores the size.
type section struct {
	io.LimitedReader
	f *os.File
}

func (s *section) Close() error { return s.f.Close() }

// notModified applies RFC 9110 13.1.2/13.1.3: If-None-Match wins over If-Modified-Since.
func notModified(rh *fasthttp.RequestHeader, etag string, mod time.Time) bool {
	if inm := rh.Peek("If-None-Match"); len(inm) > 0 {
		return etagListMatches(inm, etag)
	}
	if ims := rh.Peek("If-Modified-Since"); len(ims) > 0 {
		t, err := http.ParseTime(string(ims))
		return err == nil && !mod.After(t)
	}
	return false
}

// etagListMatches is the weak comparison If-None-Match uses.
func etagListMatches(list []byte, etag string) bool {
	for item := range strings.SplitSeq(string(list), ",") {
		item = strings.TrimSpace(item)
		if item == "*" || strings.TrimPrefix(item, "W/") == etag {
			return true
		}
	}
	return false
}

// rangeApplies honours If-Range (RFC 9110 13.1.5): a range is only for the same version.
func rangeApplies(rh *fasthttp.RequestHeader, etag string) bool {
	ir := rh.Peek("If-Range")
	return len(ir) == 0 || string(ir) == etag
}

// parseRange reads one "bytes=a-b", "bytes=a-" or "bytes=-n" range. Several ranges are
// answered with the whole file (RFC 9110 14.2 lets a server ignore Range).
func parseRange(v []byte, size int64) (int64, int64, bool) {
	spec, ok := strings.CutPrefix(string(v), "bytes=")
	if !ok {
		return 0, 0, false
	}
	if strings.Contains(spec, ",") {
		return 0, size - 1, true
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return 0, 0, false
	}
	if first == "" { // suffix: the last n bytes
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n <= 0 || size == 0 {
			return 0, 0, false
		}
		return max(size-n, 0), size - 1, true
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 || start >= size {
		return 0, 0, false
	}
	end := size - 1
	if last != "" {
		e, err := strconv.ParseInt(last, 10, 64)
		if err != nil || e < start {
			return 0, 0, false
		}
		end = min(e, size-1)
	}
	return start, end, true
}

func fail(ctx *fasthttp.RequestCtx, status int, body []byte) {
	ctx.SetStatusCode(status)
	ctx.SetContentTypeBytes(contentJSON)
	ctx.SetBody(body)
}
