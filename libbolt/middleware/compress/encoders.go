package compress

import (
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	brotli "github.com/molecule-man/go-brrr"
)

// Speed: the encoders run on the request's own goroutine with pooled state. fasthttp's
// Append*Bytes helpers hand every call to a separate "stackless" goroutine; with the
// server pinned to one core next to the Python thread, that hand-off cost more than the
// compression itself (measured on /bench/big: bench/RESULTS.md, middleware section).
// These are the libraries fasthttp itself uses, so no module is added.

// encoders holds one Compressor's encoders, at its levels.
type encoders struct {
	gzip   sync.Pool // *gzip.Writer
	brotli sync.Pool // *brotli.Writer
	zstd   *zstd.Encoder
}

func newEncoders(levels [numCodings]int) (*encoders, error) {
	e := &encoders{}
	e.gzip.New = func() any {
		w, _ := gzip.NewWriterLevel(nil, levels[Gzip]) // level validated at compile time
		return w
	}
	e.brotli.New = func() any {
		w, _ := brotli.NewWriter(nil, levels[Brotli])
		return w
	}
	var err error
	// EncodeAll is safe for concurrent use; one encoder serves every request.
	e.zstd, err = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.EncoderLevel(levels[Zstd])),
		zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true))
	return e, err
}

// appendWriter appends what is written to b.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func (e *encoders) encode(dst, body []byte, c Coding) []byte {
	switch c {
	case Zstd:
		return e.zstd.EncodeAll(body, dst)
	case Brotli:
		out := &appendWriter{b: dst}
		w := e.brotli.Get().(*brotli.Writer)
		w.ResetWithSizeHint(out, uint(len(body)))
		_, _ = w.Write(body)
		_ = w.Close()
		w.Reset(nil) // do not keep the response buffer alive in the pool
		e.brotli.Put(w)
		return out.b
	}
	out := &appendWriter{b: dst}
	w := e.gzip.Get().(*gzip.Writer)
	w.Reset(out)
	_, _ = w.Write(body)
	_ = w.Close()
	e.gzip.Put(w) // keeps a reference to dst until its next use: harmless, dst is pooled too
	return out.b
}
