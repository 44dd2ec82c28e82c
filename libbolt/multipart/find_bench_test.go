package multipart

import (
	"crypto/rand"
	"strings"
	"testing"
)

// BenchmarkDelimiterFinder: the scan for the closing delimiter of a 1 MiB file part, per
// kind of data and boundary (bench/run.py's, a browser's, a hex one as httpx sends).
func BenchmarkDelimiterFinder(b *testing.B) {
	random := make([]byte, 1<<20)
	_, _ = rand.Read(random)
	data := map[string][]byte{
		"text":   []byte(strings.Repeat("0123456789abcdef", 1<<16)),
		"random": random,
		"csv":    []byte(strings.Repeat("2026-11-27,12.50,some text here,foo\r\n", 1<<20/37)),
	}
	for _, boundary := range []string{"benchboundary7MA4YWxkTrZu0gW", "----WebKitFormBoundary7MA4YWxkTrZu0gW", "a8f3c2e1d4b5a6978877665544332211"} {
		for name, d := range data {
			body := []byte("--" + boundary + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"f\"\r\n\r\n")
			body = append(append(body, d...), "\r\n--"+boundary+"--\r\n"...)
			b.Run(name+"/"+boundary[:8], func(b *testing.B) {
				b.SetBytes(int64(len(d)))
				for b.Loop() {
					if p, err := newPartScanner(body, boundary, 8192).next(); err != nil || len(p.data) != len(d) {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
