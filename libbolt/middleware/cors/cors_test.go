package cors

import (
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

func TestCompileCORSRejects(t *testing.T) {
	t.Parallel()
	neg := -1
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"origin with a path", Config{AllowedOrigins: []string{"https://a.example/"}}, "no path"},
		{"origin without a scheme", Config{AllowedOrigins: []string{"a.example"}}, "no path"},
		{"bad regex", Config{AllowedOriginRegexes: []string{"(("}}, "regex"},
		{"bad method", Config{AllowMethods: []string{"GE T"}}, "method"},
		{"bad header", Config{AllowHeaders: []string{"x:y"}}, "header name"},
		{"negative max age", Config{MaxAge: &neg}, "max age"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := Compile(&tt.cfg); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("CompileCORS = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestCORSApply(t *testing.T) {
	t.Parallel()
	p, err := Compile(&Config{AllowedOrigins: []string{"null", "https://a.example:8443"}, AllowCredentials: true})
	if err != nil {
		t.Fatalf("CompileCORS: %v", err)
	}
	for origin, allowed := range map[string]bool{
		"https://a.example:8443": true, "null": true, "https://a.example": false, "HTTPS://A.EXAMPLE:8443": false,
	} {
		var h fasthttp.ResponseHeader
		p.Apply(&h, []byte(origin))
		got := string(h.Peek("Access-Control-Allow-Origin"))
		if allowed != (got == origin) || string(h.Peek("Vary")) != "Origin" {
			t.Errorf("origin %q: Allow-Origin %q, Vary %q", origin, got, h.Peek("Vary"))
		}
		if allowed && string(h.Peek("Access-Control-Allow-Credentials")) != "true" {
			t.Errorf("origin %q: no credentials header", origin)
		}
	}
	var h fasthttp.ResponseHeader
	p.Apply(&h, nil)
	if h.Peek("Vary") != nil || h.Peek("Access-Control-Allow-Origin") != nil {
		t.Fatalf("headers for a same-origin request:\n%s", h.String())
	}
}
