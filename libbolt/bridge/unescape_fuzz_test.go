package bridge

import (
	"bytes"
	"net/url"
	"testing"
	"unicode/utf8"
)

// FuzzAppendUnescaped checks the path-parameter decoder against net/url: it accepts
// exactly the escapes url.PathUnescape accepts, decodes them the same way, and never lets
// NUL or invalid UTF-8 through.
func FuzzAppendUnescaped(f *testing.F) {
	for _, s := range []string{"", "abc", "a%2Fb", "%00", "%zz", "ab%", "ab%4", "%C3%A9", "%FF", "%2541", "a+b%20"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := AppendUnescaped([]byte("prefix"), s)
		if !bytes.HasPrefix(got, []byte("prefix")) {
			t.Fatalf("dst prefix clobbered: %q", got)
		}
		decoded := got[len("prefix"):]
		want, err := url.PathUnescape(s)
		switch {
		case ok && (err != nil || string(decoded) != want):
			t.Fatalf("AppendUnescaped(%q) = %q, url.PathUnescape = %q, %v", s, decoded, want, err)
		case ok && (bytes.IndexByte(decoded, 0) >= 0 || !utf8.Valid(decoded)):
			t.Fatalf("AppendUnescaped(%q) let %q through", s, decoded)
		case !ok && err == nil && utf8.ValidString(want) && !bytes.Contains([]byte(want), []byte{0}):
			t.Fatalf("AppendUnescaped(%q) refused clean input %q", s, want)
		}
	})
}
