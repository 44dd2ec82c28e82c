package multipart

import (
	"bytes"
	"strings"
	"testing"
)

// findSamples are bodies of the kinds the finder treats differently: without the rare
// byte, with it now and then (IndexByte), with it everywhere (the switch to Horspool).
func findSamples() map[string][]byte {
	return map[string][]byte{
		"text":   []byte(strings.Repeat("0123456789abcdef", 4096)),
		"binary": bytes.Repeat([]byte{0, 0xff, 'W', 'K', 0x2d, 0x0d, 0x0a, 'M', 0x80}, 7000),
		"csv":    []byte(strings.Repeat("2026-11-27,12.50,Some Text With Capitals,MAWK\r\n", 1500)),
		"dashes": []byte(strings.Repeat("-", 50000)),
	}
}

func TestDelimiterFinderMatchesBytesIndex(t *testing.T) {
	t.Parallel()
	boundaries := []string{"XX", "benchboundary7MA4YWxkTrZu0gW", "----WebKitFormBoundaryMAWK", "a8f3c2e1d4b5a697", strings.Repeat("z", 300)}
	for name, data := range findSamples() {
		for _, b := range boundaries {
			needle := []byte("--" + b)
			// The needle at the start, in the middle, at the end, twice, and not at all.
			for _, at := range []int{0, len(data) / 3, len(data), -1} {
				body := bytes.Clone(data)
				if at >= 0 {
					body = append(body[:at:at], append(append([]byte{}, needle...), data[at:]...)...)
					body = append(body, needle...)
				}
				f := newDelimiterFinder(needle)
				for from := 0; ; {
					want := bytes.Index(body[from:], needle)
					if want >= 0 {
						want += from
					}
					if got := f.index(body, from); got != want {
						t.Fatalf("%s, boundary %.20q, needle at %d, from %d: index %d, want %d", name, b, at, from, got, want)
					}
					if want < 0 {
						break
					}
					from = want + 1
				}
			}
		}
	}
}
