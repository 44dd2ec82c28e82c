package multipart

import (
	"bytes"
	"testing"
)

// FuzzDelimiterFinder: the finder agrees with bytes.Index on any body and boundary.
func FuzzDelimiterFinder(f *testing.F) {
	f.Add([]byte("2026-11-27\r\n--XX\r\n--XX--"), "XX", 0)
	f.Add(bytes.Repeat([]byte("-W-"), 100), "W-", 3)
	f.Fuzz(func(t *testing.T, body []byte, boundary string, from int) {
		if boundary == "" || from < 0 || from > len(body) {
			return
		}
		needle := []byte("--" + boundary)
		want := bytes.Index(body[from:], needle)
		if want >= 0 {
			want += from
		}
		fd := newDelimiterFinder(needle)
		if got := fd.index(body, from); got != want {
			t.Fatalf("index = %d, want %d", got, want)
		}
	})
}
