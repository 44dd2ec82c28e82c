package compress

import (
	"bytes"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

var bigJSON = []byte(`{"items":[` + strings.Repeat(`{"id":12345,"name":"a fairly repetitive item name"},`, 40) + `{}]}`)

func compiled(t testing.TB, c *Config) *Compressor {
	t.Helper()
	p, err := Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func respond(p *Compressor, method, acceptEncoding, contentType string, status int, body []byte) *fasthttp.RequestCtx {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(method)
	if acceptEncoding != "" {
		ctx.Request.Header.Set("Accept-Encoding", acceptEncoding)
	}
	ctx.SetStatusCode(status)
	ctx.SetContentType(contentType)
	ctx.SetBody(body)
	p.Apply(&ctx)
	return &ctx
}

func decode(t *testing.T, coding string, body []byte) []byte {
	t.Helper()
	var out []byte
	var err error
	switch coding {
	case "br":
		out, err = fasthttp.AppendUnbrotliBytes(nil, body)
	case "zstd":
		out, err = fasthttp.AppendUnzstdBytes(nil, body)
	case "gzip":
		out, err = fasthttp.AppendGunzipBytes(nil, body)
	default:
		return body
	}
	if err != nil {
		t.Fatalf("decode %s: %v", coding, err)
	}
	return out
}

func TestCompressNegotiation(t *testing.T) {
	t.Parallel()
	def := compiled(t, nil)
	cases := []struct {
		accept string
		want   string
	}{
		{"gzip, deflate, br, zstd", "br"}, // ties: brotli preferred
		{"gzip", "gzip"},
		{"x-gzip", "gzip"},
		{"zstd, gzip;q=0.5", "zstd"},
		{"br;q=0.1, gzip;q=0.9", "gzip"},
		{"br;q=0, gzip;q=0", ""},
		{"*", "br"},
		{"*;q=0.5, br;q=0", "zstd"},
		{"identity", ""},
		{"deflate", ""},
		{"gzip;q=garbage", ""},
		{"gzip;q=1.5", ""},
		{"GZIP;Q=0.800", "gzip"},
		{" , ,gzip ,", "gzip"},
		{"", ""},
	}
	for _, c := range cases {
		ctx := respond(def, "GET", c.accept, "application/json", 200, bigJSON)
		if got := string(ctx.Response.Header.ContentEncoding()); got != c.want {
			t.Errorf("Accept-Encoding %q: got coding %q, want %q", c.accept, got, c.want)
		}
		if got := decode(t, c.want, ctx.Response.Body()); !bytes.Equal(got, bigJSON) {
			t.Errorf("Accept-Encoding %q: body does not round-trip", c.accept)
		}
		if v := string(ctx.Response.Header.Peek("Vary")); v != "Accept-Encoding" {
			t.Errorf("Accept-Encoding %q: Vary = %q", c.accept, v)
		}
	}
}

func TestCompressBackendAndFallback(t *testing.T) {
	t.Parallel()
	no := false
	gzipOnly := compiled(t, &Config{Backend: "gzip", GzipFallback: &no})
	if got := respond(gzipOnly, "GET", "br, zstd", "application/json", 200, bigJSON).Response.Header.ContentEncoding(); len(got) != 0 {
		t.Errorf("gzip-only config used %q", got)
	}
	zstdFirst := compiled(t, &Config{Backend: "zstd"})
	if got := string(respond(zstdFirst, "GET", "br, gzip, zstd", "application/json", 200, bigJSON).Response.Header.ContentEncoding()); got != "zstd" {
		t.Errorf("zstd backend on a tie: got %q", got)
	}
	if got := string(respond(zstdFirst, "GET", "gzip", "application/json", 200, bigJSON).Response.Header.ContentEncoding()); got != "gzip" {
		t.Errorf("fallback: got %q", got)
	}
}

func TestCompressSkips(t *testing.T) {
	t.Parallel()
	def := compiled(t, nil)
	cases := []struct {
		name, method, ct string
		status           int
		body             []byte
		vary             bool
	}{
		{"small body", "GET", "application/json", 200, []byte(`{"a":1}`), false},
		{"event stream", "GET", "text/event-stream", 200, bigJSON, false},
		{"image", "GET", "image/png", 200, bigJSON, false},
		{"octet stream", "GET", "application/octet-stream", 200, bigJSON, false},
		{"HEAD", "HEAD", "application/json", 200, bigJSON, false},
		{"204", "GET", "application/json", 204, bigJSON, false},
		{"304", "GET", "application/json", 304, bigJSON, false},
		{"206", "GET", "application/json", 206, bigJSON, false},
		{"1xx", "GET", "application/json", 103, bigJSON, false},
	}
	for _, c := range cases {
		ctx := respond(def, c.method, "gzip, br", c.ct, c.status, c.body)
		if enc := ctx.Response.Header.ContentEncoding(); len(enc) != 0 {
			t.Errorf("%s: compressed with %q", c.name, enc)
		}
		if v := ctx.Response.Header.Peek("Vary"); len(v) != 0 {
			t.Errorf("%s: Vary %q on an uncompressible response", c.name, v)
		}
	}

	var ctx fasthttp.RequestCtx
	ctx.Request.Header.Set("Accept-Encoding", "gzip")
	ctx.SetContentType("application/json")
	ctx.Response.Header.Set("Content-Encoding", "br")
	ctx.SetBody(bigJSON)
	def.Apply(&ctx)
	if got := string(ctx.Response.Header.ContentEncoding()); got != "br" || !bytes.Equal(ctx.Response.Body(), bigJSON) {
		t.Errorf("already-encoded response was re-encoded: %q", got)
	}

	if p, err := Compile(&Config{Disabled: true}); p != nil || err != nil {
		t.Errorf("disabled config compiled to %v, %v", p, err)
	}
}

func TestCompressVaryIsMerged(t *testing.T) {
	t.Parallel()
	def := compiled(t, nil)
	var ctx fasthttp.RequestCtx
	ctx.SetContentType("text/html; charset=utf-8")
	ctx.Response.Header.Set("Vary", "Origin")
	ctx.SetBody(bigJSON)
	def.Apply(&ctx)
	if v := string(ctx.Response.Header.Peek("Vary")); v != "Origin, Accept-Encoding" {
		t.Errorf("Vary = %q", v)
	}
}

func TestCompressConfigErrors(t *testing.T) {
	t.Parallel()
	neg, q := -1, 12
	for _, c := range []*Config{
		{Backend: "deflate"},
		{MinimumSize: &neg},
		{GzipLevel: 10},
		{BrotliQuality: &q},
		{ZstdLevel: 23},
	} {
		if _, err := Compile(c); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

func TestParseQ(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int{"1": 1000, "1.000": 1000, "0": 0, "0.5": 500, "0.123": 123, "0.1234": 0, "1.1": 0, "": 0, "x": 0, ".5": 0} {
		if got := parseQ([]byte(in)); got != want {
			t.Errorf("parseQ(%q) = %d, want %d", in, got, want)
		}
	}
}

// The list in docs/compression.md, "What is never compressed".
func TestCompressibleTypes(t *testing.T) {
	t.Parallel()
	for ct, want := range map[string]bool{
		"text/html; charset=utf-8": true, "text/csv": true, "application/json": true,
		"application/problem+json": true, "application/atom+xml": true, "application/xml": true,
		"application/javascript": true, "application/x-ndjson": true, "application/yaml": true,
		"application/toml": true, "application/wasm": true, "image/svg+xml": true, "Application/JSON": true,
		"text/event-stream": false, "image/png": false, "application/octet-stream": false,
		"application/zip": false, "font/woff2": false, "video/mp4": false, "": false,
	} {
		if got := CompressibleType([]byte(ct)); got != want {
			t.Errorf("%q: compressible %v, want %v", ct, got, want)
		}
	}
}
