package auth

import (
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"
)

// A refresh or ID token (claim token_type) is refused where an access token is expected;
// tokens marked "access", or not marked at all, are accepted.
func TestJWTRefusesRefreshAndIDTokens(t *testing.T) {
	t.Parallel()
	b := hsBackend(t, BackendConfig{})
	key := []byte(testSecret)
	for _, typ := range []string{"refresh", "id"} {
		c := validClaims()
		c["token_type"] = typ
		if _, f := b.validate([]byte(sign(t, jwt.SigningMethodHS256, key, c))); f != failNotAccess {
			t.Fatalf("token_type %q: failure %v, want %v", typ, f, failNotAccess)
		}
	}
	access := validClaims()
	access["token_type"] = "access"
	for _, c := range []jwt.MapClaims{access, validClaims()} {
		if id, f := b.validate([]byte(sign(t, jwt.SigningMethodHS256, key, c))); f != nil || id == nil {
			t.Fatalf("%v: refused (%v)", c, f)
		}
	}
}

// Cookie tokens: an unsafe method from another origin is refused (CSRF), unless turned off.
func TestJWTCookieCSRFCheck(t *testing.T) {
	t.Parallel()
	tok := sign(t, jwt.SigningMethodHS256, []byte(testSecret), validClaims())
	on := hsBackend(t, BackendConfig{Cookie: "access"})
	off := hsBackend(t, BackendConfig{Cookie: "access", CookieCSRFOff: true})
	try := func(b *jwtBackend, method string, headers ...string) *Failure {
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.SetMethod(method)
		ctx.Request.Header.SetHost("api.example")
		ctx.Request.Header.SetCookie("access", tok)
		for i := 0; i+1 < len(headers); i += 2 {
			ctx.Request.Header.Set(headers[i], headers[i+1])
		}
		_, f := b.authenticate(&ctx)
		return f
	}
	cases := []struct {
		name    string
		b       *jwtBackend
		method  string
		headers []string
		want    *Failure
	}{
		{"GET from anywhere", on, "GET", []string{"Origin", "https://evil.example"}, nil},
		{"POST same origin", on, "POST", []string{"Origin", "https://api.example"}, nil},
		{"POST same origin by Referer", on, "POST", []string{"Referer", "https://api.example/page?x=1"}, nil},
		{"POST without Origin or Referer", on, "POST", nil, nil},
		{"POST cross origin", on, "POST", []string{"Origin", "https://evil.example"}, failCrossSite},
		{"DELETE cross origin by Referer", on, "DELETE", []string{"Referer", "https://evil.example/x"}, failCrossSite},
		{"POST from a null origin", on, "POST", []string{"Origin", "null"}, failCrossSite},
		{"check turned off", off, "POST", []string{"Origin", "https://evil.example"}, nil},
	}
	for _, c := range cases {
		if got := try(c.b, c.method, c.headers...); got != c.want {
			t.Errorf("%s: failure %v, want %v", c.name, got, c.want)
		}
	}
}
