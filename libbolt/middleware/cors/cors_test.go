package middleware

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
		cfg     CORSConfig
		wantErr string
	}{
		{"origin with a path", CORSConfig{AllowedOrigins: []string{"https://a.example/"}}, "no path"},
		{"origin without a scheme", CORSConfig{AllowedOrigins: []string{"a.example"}}, "no path"},
		{"bad regex", CORSConfig{AllowedOriginRegexes: []string{"(("}}, "regex"},
		{"bad method", CORSConfig{AllowMethods: []string{"GE T"}}, "method"},
		{"bad header", CORSConfig{AllowHeaders: []string{"x:y"}}, "header name"},
		{"negative max age", CORSConfig{MaxAge: &neg}, "max age"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := CompileCORS(&tt.cfg); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("CompileCORS = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestCORSApply(t *testing.T) {
	t.Parallel()
	p, err := CompileCORS(&CORSConfig{AllowedOrigins: []string{"null", "https://a.example:8443"}, AllowCredentials: true})
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
