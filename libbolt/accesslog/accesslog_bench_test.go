package accesslog

import (
	"io"
	"testing"
)

// BenchmarkLog is the per-request cost of an access log line (format + batch append).
func BenchmarkLog(b *testing.B) {
	l, err := New(&Config{}, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	e := entry()
	b.ReportAllocs()
	for b.Loop() {
		l.Log(e)
	}
}
