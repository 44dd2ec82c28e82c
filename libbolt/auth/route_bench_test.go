package auth

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"
)

// BenchmarkCheckJWT is the Go-side cost of a JWT-protected route: token lookup, parse,
// HMAC, claims, the context JSON for Python and one built-in guard.
func BenchmarkCheckJWT(b *testing.B) {
	backends, err := CompileBackends([]BackendConfig{{Type: "jwt", Secret: testSecret}}, func() time.Time { return frozen })
	if err != nil {
		b.Fatal(err)
	}
	r, err := CompileRoute(&RouteConfig{Backends: []int{0}, Guards: []GuardConfig{{Type: "is_authenticated"}}}, backends)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, validClaims()).SignedString([]byte(testSecret))
	if err != nil {
		b.Fatal(err)
	}
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.Set("Authorization", "Bearer "+tok)
	b.ReportAllocs()
	for b.Loop() {
		if _, denied := r.Check(&ctx); denied != nil {
			b.Fatal(string(denied.Body))
		}
		ctx.ResetUserValues()
	}
}
