// Package compress compresses responses (br, zstd, gzip) after the handler wrote them,
// negotiated from Accept-Encoding (RFC 9110 12.5.3); configured once per route.
package compress

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/header"
)

// Config is one route's response compression as configured in Python
// (BoltAPI(compression=CompressionConfig(...)), django-bolt's field names). The zero value
// is the default: on, brotli preferred, every coding offered, 500 bytes minimum.
type Config struct {
	Disabled bool `json:"disabled"` // BoltAPI(compression=False) or @no_compress
	// Backend is the preferred coding when the client accepts several equally:
	// "brotli" (default), "zstd" or "gzip".
	Backend string `json:"backend"`
	// MinimumSize is the smallest body compressed, in bytes (default 500; smaller bodies
	// gain little and cost a round of encoder set-up).
	MinimumSize *int `json:"minimum_size"`
	// GzipFallback (default true) offers the other codings when the client does not take
	// Backend; false offers Backend only, as in django-bolt.
	GzipFallback *bool `json:"gzip_fallback"`
	// Levels, chosen for speed (an API response is compressed once per request, not once
	// per deploy like a static asset): gzip 1-9 (default 1), brotli 0-11 (default 3),
	// zstd 1-22 (default 1). The same defaults as Python's CompressionConfig, which only
	// sends routes that differ from them.
	GzipLevel     int  `json:"gzip_level"`
	BrotliQuality *int `json:"brotli_quality"`
	ZstdLevel     int  `json:"zstd_level"`
}

// Defaults of Config.
const (
	DefaultCompressMinSize = 500
	// 10 KB of JSON (bench/big): gzip 1 takes ~22 us and gives 1155 bytes, gzip 5 ~36 us
	// for 1089 bytes (go test -bench Compress ./libbolt/middleware/compress/).
	DefaultGzipLevel     = 1
	DefaultBrotliQuality = 3
	DefaultZstdLevel     = 1
)

// Coding is a content coding we can produce.
type Coding uint8

// Codings in the order that breaks ties when no backend says otherwise.
const (
	NoCoding Coding = iota
	Brotli
	Zstd
	Gzip
	numCodings
)

var codingTokens = [numCodings][]byte{Brotli: []byte("br"), Zstd: []byte("zstd"), Gzip: []byte("gzip")}

// Compressor is a compiled Config.
type Compressor struct {
	minSize int
	offered []Coding // preference order for ties
	levels  [numCodings]int
	enc     *encoders
}

// Compile validates c; it returns nil (no compression) when c disables it.
func Compile(c *Config) (*Compressor, error) {
	if c == nil {
		c = &Config{}
	}
	if c.Disabled {
		return nil, nil
	}
	p := &Compressor{minSize: DefaultCompressMinSize}
	if c.MinimumSize != nil {
		if *c.MinimumSize < 0 {
			return nil, fmt.Errorf("compression minimum_size must be >= 0, got %d", *c.MinimumSize)
		}
		p.minSize = *c.MinimumSize
	}
	backend := Brotli
	switch c.Backend {
	case "", "brotli":
	case "zstd":
		backend = Zstd
	case "gzip":
		backend = Gzip
	default:
		return nil, fmt.Errorf("compression backend %q must be \"brotli\", \"zstd\" or \"gzip\"", c.Backend)
	}
	p.offered = []Coding{backend}
	if c.GzipFallback == nil || *c.GzipFallback {
		for _, k := range []Coding{Brotli, Zstd, Gzip} {
			if k != backend {
				p.offered = append(p.offered, k)
			}
		}
	}
	var err error
	if p.levels[Gzip], err = level("gzip_level", c.GzipLevel, DefaultGzipLevel, 1, 9); err != nil {
		return nil, err
	}
	brotli := DefaultBrotliQuality
	if c.BrotliQuality != nil {
		if brotli = *c.BrotliQuality; brotli < 0 || brotli > 11 {
			return nil, fmt.Errorf("compression brotli_quality must be 0-11, got %d", brotli)
		}
	}
	p.levels[Brotli] = brotli
	zstd, err := level("zstd_level", c.ZstdLevel, DefaultZstdLevel, 1, 22)
	if err != nil {
		return nil, err
	}
	p.levels[Zstd] = zstdSpeed(zstd)
	if p.enc, err = newEncoders(p.levels); err != nil {
		return nil, fmt.Errorf("compression: %w", err)
	}
	return p, nil
}

func level(name string, v, def, lo, hi int) (int, error) {
	if v == 0 {
		return def, nil
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("compression %s must be %d-%d, got %d", name, lo, hi, v)
	}
	return v, nil
}

// zstdSpeed maps a zstd level (1-22) to the four speeds of the Go zstd encoder.
func zstdSpeed(level int) int {
	switch {
	case level < 3:
		return int(zstd.SpeedFastest)
	case level < 6:
		return int(zstd.SpeedDefault)
	case level < 10:
		return int(zstd.SpeedBetterCompression)
	}
	return int(zstd.SpeedBestCompression)
}

var (
	hAcceptEncoding  = "accept-encoding"
	hContentEncoding = []byte("Content-Encoding")
	vAcceptEncoding  = []byte("Accept-Encoding")
)

// bodyPool recycles the buffers compressed bodies are written into; SwapBody hands the
// response's previous buffer back, so steady state allocates nothing.
var bodyPool = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledBody keeps one huge response from pinning its buffer in the pool.
const maxPooledBody = 1 << 20

// Apply compresses the response in place when it is worth it and the client accepts a
// coding we offer. It runs after the handler wrote the response.
func (p *Compressor) Apply(ctx *fasthttp.RequestCtx) {
	resp := &ctx.Response
	if !p.compressible(ctx) {
		return
	}
	// The body depends on Accept-Encoding from here on, even when this client gets it
	// uncompressed: a cache must not hand the plain copy to a client that wanted gzip,
	// nor the reverse (RFC 9110 12.5.5).
	header.AddVary(&resp.Header, vAcceptEncoding)
	coding := NoCoding
	for k, v := range ctx.Request.Header.All() {
		if header.EqualFoldLower(k, hAcceptEncoding) {
			coding = p.negotiate(v, coding)
		}
	}
	if coding == NoCoding {
		return
	}
	bp := bodyPool.Get().(*[]byte)
	out := p.encode((*bp)[:0], resp.Body(), coding)
	old := resp.SwapBody(out)
	if cap(old) <= maxPooledBody {
		*bp = old[:0]
		bodyPool.Put(bp)
	}
	resp.Header.SetBytesKV(hContentEncoding, codingTokens[coding])
}

// compressible: what the response alone decides (status, size, type, encoding, method).
func (p *Compressor) compressible(ctx *fasthttp.RequestCtx) bool {
	resp := &ctx.Response
	switch status := resp.StatusCode(); {
	case status < 200, status == fasthttp.StatusNoContent, status == fasthttp.StatusNotModified,
		status == fasthttp.StatusPartialContent:
		return false
	}
	if ctx.IsHead() || resp.IsBodyStream() || len(resp.Body()) < p.minSize {
		return false
	}
	// Already encoded (by the handler, or a file served as is): a second coding would be
	// wrong for the client that undoes only one.
	if len(resp.Header.ContentEncoding()) > 0 {
		return false
	}
	return CompressibleType(resp.Header.ContentType())
}

// negotiate picks the coding for one Accept-Encoding value (RFC 9110 12.5.3), given the
// choice made from earlier lines of the same header.
func (p *Compressor) negotiate(accept []byte, prev Coding) Coding {
	var q [numCodings]int // -1: not mentioned
	for i := range q {
		q[i] = -1
	}
	star := -1
	ParseAcceptEncoding(accept, func(token []byte, weight int) {
		switch {
		case header.EqualFoldLower(token, "br"):
			q[Brotli] = weight
		case header.EqualFoldLower(token, "zstd"):
			q[Zstd] = weight
		case header.EqualFoldLower(token, "gzip"), header.EqualFoldLower(token, "x-gzip"):
			q[Gzip] = weight
		case len(token) == 1 && token[0] == '*':
			star = weight
		}
	})
	best, bestQ := prev, 0
	for _, k := range p.offered {
		w := q[k]
		if w < 0 {
			w = star // "*" covers codings not listed by name
		}
		if w > bestQ {
			best, bestQ = k, w
		}
	}
	if bestQ == 0 {
		return prev
	}
	return best
}

func (p *Compressor) encode(dst, body []byte, c Coding) []byte {
	return p.enc.encode(dst, body, c)
}

// ParseAcceptEncoding calls fn for each coding in an Accept-Encoding value with its weight
// in thousandths (q=1 -> 1000, q=0 -> 0; a malformed q counts as 0, i.e. refused, so
// garbage never enables a coding). Empty elements are skipped (RFC 9110 5.6.1).
func ParseAcceptEncoding(v []byte, fn func(token []byte, weight int)) {
	for len(v) > 0 {
		var elem []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			elem, v = v[:i], v[i+1:]
		} else {
			elem, v = v, nil
		}
		token, params, _ := bytes.Cut(elem, []byte{';'})
		token = header.TrimOWS(token)
		if len(token) == 0 {
			continue
		}
		weight := 1000
		for len(params) > 0 {
			var param []byte
			param, params, _ = bytes.Cut(params, []byte{';'})
			name, value, ok := bytes.Cut(header.TrimOWS(param), []byte{'='})
			if ok && len(name) == 1 && (name[0] == 'q' || name[0] == 'Q') {
				weight = parseQ(header.TrimOWS(value))
			}
		}
		fn(token, weight)
	}
}

// parseQ reads a qvalue (RFC 9110 12.4.2: "0" ["." 0*3DIGIT] / "1" ["." 0*3("0")]) as
// thousandths; anything else is 0.
func parseQ(b []byte) int {
	if len(b) == 0 || len(b) > 5 || (b[0] != '0' && b[0] != '1') {
		return 0
	}
	w := int(b[0]-'0') * 1000
	if len(b) == 1 {
		return w
	}
	if b[1] != '.' {
		return 0
	}
	scale := 100
	for _, c := range b[2:] {
		if c < '0' || c > '9' {
			return 0
		}
		w += int(c-'0') * scale
		scale /= 10
	}
	if w > 1000 {
		return 0
	}
	return w
}

// CompressibleType reports whether a content type is worth compressing: text and the
// structured formats APIs send. Images, audio, video, archives and fonts other than SVG
// are already compressed; text/event-stream must reach the client event by event.
func CompressibleType(ct []byte) bool {
	raw, _, _ := bytes.Cut(ct, []byte{';'})
	raw = header.TrimOWS(raw)
	var buf [80]byte
	if len(raw) > len(buf) {
		return false
	}
	mt := buf[:len(raw)]
	for i, c := range raw {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		mt[i] = c
	}
	switch {
	case len(mt) == 0, bytes.Equal(mt, []byte("text/event-stream")):
		return false
	case bytes.HasPrefix(mt, []byte("text/")),
		bytes.HasSuffix(mt, []byte("+json")), bytes.HasSuffix(mt, []byte("+xml")):
		return true
	}
	switch string(mt) {
	case "application/json", "application/xml", "application/javascript",
		"application/x-javascript", "application/ecmascript", "application/x-ndjson",
		"application/wasm", "application/yaml", "application/toml":
		return true
	}
	return false
}
