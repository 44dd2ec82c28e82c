package header

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// The table must be RFC 9110's tchar: visible ASCII except the delimiters.
func TestIsTokenCharIsTchar(t *testing.T) {
	t.Parallel()
	for c := range 256 {
		want := c > ' ' && c < 0x7f && !strings.ContainsRune("\"(),/:;<=>?@[\\]{}", rune(c))
		if got := IsTokenChar(byte(c)); got != want {
			t.Errorf("IsTokenChar(%#x) = %v, want %v", c, got, want)
		}
	}
	if IsToken("") || IsTokenBytes(nil) || !IsToken("X-Request-Id") || IsTokenBytes([]byte("a b")) {
		t.Fatal("IsToken")
	}
}

func TestPeekIgnoresCase(t *testing.T) {
	t.Parallel()
	var h fasthttp.RequestHeader
	h.DisableNormalizing()
	h.Set("X-API-Key", "first")
	h.Add("x-api-key", "last")
	if got := string(Peek(&h, "x-api-key")); got != "last" {
		t.Fatalf("Peek = %q, want the last value", got)
	}
}

func TestAddVary(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ before, add, want string }{
		{"", "Origin", "Origin"},
		{"Accept-Encoding", "Origin", "Accept-Encoding, Origin"},
		{"accept-encoding , origin", "Origin", "accept-encoding , origin"},
		{"*", "Origin", "*"},
	} {
		var h fasthttp.ResponseHeader
		if tt.before != "" {
			h.Set("Vary", tt.before)
		}
		AddVary(&h, []byte(tt.add))
		if got := string(h.Peek("Vary")); got != tt.want {
			t.Errorf("Vary %q + %s = %q, want %q", tt.before, tt.add, got, tt.want)
		}
	}
}

func TestTrimOWS(t *testing.T) {
	t.Parallel()
	if got := string(TrimOWS([]byte(" \t gzip\t "))); got != "gzip" {
		t.Fatalf("TrimOWS = %q", got)
	}
}
