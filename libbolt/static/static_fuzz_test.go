package static

import (
	"strings"
	"testing"
)

// FuzzRelPath: whatever the raw path, an accepted name has only plain segments.
func FuzzRelPath(f *testing.F) {
	for _, s := range []string{"/static/a/b.css", "/static/%2e%2e/x", "/static/a%5cb", "/static//x", "/static/%00", "/static/.%2e/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		rel, ok := relPath([]byte(raw), []byte("/static/"))
		if !ok {
			return
		}
		if strings.ContainsAny(rel, "\\\x00") || strings.HasPrefix(rel, "/") {
			t.Fatalf("%q -> %q", raw, rel)
		}
		for seg := range strings.SplitSeq(rel, "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("%q -> %q has segment %q", raw, rel, seg)
			}
		}
	})
}

// FuzzParseRange: an accepted range lies inside the file.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-1", "bytes=-5", "bytes=3-", "bytes=9-2", "bytes=1-2,4-5", "bytes=-0"} {
		f.Add(s, int64(10))
	}
	f.Fuzz(func(t *testing.T, v string, size int64) {
		if size <= 0 {
			return
		}
		start, end, ok := parseRange([]byte(v), size)
		if ok && (start < 0 || end < start || end >= size) {
			t.Fatalf("%q size %d -> %d-%d", v, size, start, end)
		}
	})
}
