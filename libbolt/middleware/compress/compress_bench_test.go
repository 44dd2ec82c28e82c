package compress

import (
	"fmt"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// Levels were picked with these (go test -bench Compress ./libbolt/middleware/compress/).
func BenchmarkCompress(b *testing.B) {
	var body []byte // ~10 KB of JSON with varied values, like a list endpoint
	for i := 0; len(body) < 10_000; i++ {
		body = fmt.Appendf(body, `{"id":%d,"name":"item %x","price":%d.%02d,"tags":["t%d","u%d"]},`, i*7919, i*104729, i%997, i%100, i%13, i%29)
	}
	for _, bc := range []struct {
		name   string
		coding Coding
		level  int
	}{
		{"gzip1", Gzip, 1}, {"gzip3", Gzip, 3}, {"gzip5", Gzip, 5}, {"gzip6", Gzip, 6},
		{"br1", Brotli, 1}, {"br2", Brotli, 2}, {"br3", Brotli, 3}, {"br4", Brotli, 4},
		{"zstd1", Zstd, int(zstd.SpeedFastest)}, {"zstd2", Zstd, int(zstd.SpeedDefault)},
	} {
		p := compiled(b, nil)
		p.levels[bc.coding] = bc.level
		var err error
		if p.enc, err = newEncoders(p.levels); err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			var out []byte
			for b.Loop() {
				out = p.encode(out[:0], body, bc.coding)
			}
			b.ReportMetric(float64(len(out))/float64(len(body)), "ratio")
		})
	}
}
