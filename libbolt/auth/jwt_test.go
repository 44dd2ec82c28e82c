package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"
)

const testSecret = "0123456789abcdef0123456789abcdef-test"

var frozen = time.Unix(1_800_000_000, 0)

func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

func validClaims() jwt.MapClaims {
	return jwt.MapClaims{"sub": "42", "exp": frozen.Add(time.Hour).Unix(), "is_staff": true, "permissions": []string{"blog.add"}}
}

func hsBackend(t *testing.T, c BackendConfig) *jwtBackend {
	t.Helper()
	if c.Secret == "" {
		c.Secret = testSecret
	}
	b, err := compileJWT(&c, func() time.Time { return frozen })
	if err != nil {
		t.Fatalf("compileJWT: %v", err)
	}
	return b
}

func rsaPEM(t *testing.T) (*rsa.PrivateKey, string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
	return k, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// unsigned builds a token by hand (for alg=none and other shapes libraries refuse to make).
func unsigned(header, payload string, sig string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "." + sig
}

func TestJWTAccepts(t *testing.T) {
	t.Parallel()
	b := hsBackend(t, BackendConfig{Audience: "api", Issuer: "me"})
	claims := validClaims()
	claims["aud"], claims["iss"] = "api", "me"
	id, f := b.validate([]byte(sign(t, jwt.SigningMethodHS256, []byte(testSecret), claims)))
	if f != nil {
		t.Fatalf("refused: %+v", f)
	}
	if id.UserID != "42" || !id.IsStaff || id.IsSuperuser || len(id.Permissions) != 1 {
		t.Fatalf("identity = %+v", id)
	}
	var ctx map[string]any
	if err := json.Unmarshal(id.AppendContext(nil), &ctx); err != nil {
		t.Fatalf("context is not JSON: %v", err)
	}
	if ctx["user_id"] != "42" || ctx["auth_backend"] != "jwt" || ctx["auth_claims"].(map[string]any)["aud"] != "api" {
		t.Fatalf("context = %v", ctx)
	}
}

func TestJWTRefuses(t *testing.T) {
	t.Parallel()
	rsaKey, rsaPub := rsaPEM(t)
	hs := hsBackend(t, BackendConfig{Audience: "api", Issuer: "me"})
	rs, err := compileJWT(&BackendConfig{PublicKey: rsaPub, Algorithms: []string{"RS256"}}, func() time.Time { return frozen })
	if err != nil {
		t.Fatal(err)
	}
	good := func() jwt.MapClaims { c := validClaims(); c["aud"], c["iss"] = "api", "me"; return c }
	with := func(k string, v any) jwt.MapClaims { c := good(); c[k] = v; return c }
	without := func(k string) jwt.MapClaims { c := good(); delete(c, k); return c }
	key := []byte(testSecret)
	payload, _ := json.Marshal(good())
	tests := []struct {
		name    string
		b       *jwtBackend
		token   string
		wantMsg string
	}{
		{"expired", hs, sign(t, jwt.SigningMethodHS256, key, with("exp", frozen.Add(-time.Minute).Unix())), "expired"},
		{"missing exp", hs, sign(t, jwt.SigningMethodHS256, key, without("exp")), "required claim (exp)"},
		{"missing aud names aud", hs, sign(t, jwt.SigningMethodHS256, key, without("aud")), "required claim (aud)"},
		{"missing iss names iss", hs, sign(t, jwt.SigningMethodHS256, key, without("iss")), "required claim (iss)"},
		{"nbf in the future", hs, sign(t, jwt.SigningMethodHS256, key, with("nbf", frozen.Add(time.Hour).Unix())), "not valid yet"},
		{"wrong audience", hs, sign(t, jwt.SigningMethodHS256, key, with("aud", "other")), "audience"},
		{"wrong issuer", hs, sign(t, jwt.SigningMethodHS256, key, with("iss", "evil")), "issuer"},
		{"bad signature", hs, sign(t, jwt.SigningMethodHS256, []byte(testSecret+"x"), good()), "signature"},
		{"algorithm outside the allow-list", hs, sign(t, jwt.SigningMethodHS512, key, good()), "algorithm"},
		{"alg none", hs, unsigned(`{"alg":"none","typ":"JWT"}`, string(payload), ""), "algorithm"},
		{"alg None capitalised", hs, unsigned(`{"alg":"None"}`, string(payload), ""), "algorithm"},
		{"HS token against an RS key (key confusion)", rs, sign(t, jwt.SigningMethodHS256, []byte(rsaPub), good()), "algorithm"},
		{"RS token signed by another key", rs, sign(t, jwt.SigningMethodRS256, mustRSA(t), good()), "signature"},
		{"garbage", hs, "not.a.token", "Malformed"},
		{"two segments", hs, "abc.def", "Malformed"},
		{"a megabyte of dots", hs, strings.Repeat(".", 1<<20), "too long"},
		{"huge token", hs, "a." + strings.Repeat("b", MaxTokenBytes) + ".c", "too long"},
		{"header not JSON", hs, unsigned(`{{{`, string(payload), "x"), "Malformed"},
	}
	_ = rsaKey
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id, f := tt.b.validate([]byte(tt.token))
			if id != nil || f == nil {
				t.Fatalf("accepted: %+v", id)
			}
			if f.Code != "invalid_token" || !strings.Contains(f.Description, tt.wantMsg) {
				t.Fatalf("failure = %+v, want a description containing %q", f, tt.wantMsg)
			}
		})
	}
}

func mustRSA(t *testing.T) *rsa.PrivateKey {
	k, _ := rsaPEM(t)
	return k
}

func TestJWTAcceptsRSAAndECDSA(t *testing.T) {
	t.Parallel()
	k, pub := rsaPEM(t)
	rs, err := compileJWT(&BackendConfig{PublicKey: pub, Algorithms: []string{"RS256"}}, func() time.Time { return frozen })
	if err != nil {
		t.Fatal(err)
	}
	if _, f := rs.validate([]byte(sign(t, jwt.SigningMethodRS256, k, validClaims()))); f != nil {
		t.Fatalf("RS256 refused: %+v", f)
	}
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&ek.PublicKey)
	epub := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	es, err := compileJWT(&BackendConfig{PublicKey: epub, Algorithms: []string{"ES256"}}, func() time.Time { return frozen })
	if err != nil {
		t.Fatal(err)
	}
	if _, f := es.validate([]byte(sign(t, jwt.SigningMethodES256, ek, validClaims()))); f != nil {
		t.Fatalf("ES256 refused: %+v", f)
	}
}

func TestJWTLeeway(t *testing.T) {
	t.Parallel()
	b := hsBackend(t, BackendConfig{LeewaySec: 30})
	c := validClaims()
	c["exp"] = frozen.Add(-10 * time.Second).Unix()
	if _, f := b.validate([]byte(sign(t, jwt.SigningMethodHS256, []byte(testSecret), c))); f != nil {
		t.Fatalf("token expired 10 s ago refused with 30 s leeway: %+v", f)
	}
}

func TestCompileJWTRejects(t *testing.T) {
	t.Parallel()
	_, pub := rsaPEM(t)
	tests := []struct {
		name string
		cfg  BackendConfig
		want string
	}{
		{"weak secret", BackendConfig{Secret: "short"}, "at least 32"},
		{"empty secret", BackendConfig{}, "at least 32"},
		{"none", BackendConfig{Secret: testSecret, Algorithms: []string{"none"}}, "not supported"},
		{"unknown alg", BackendConfig{Secret: testSecret, Algorithms: []string{"HS1"}}, "not supported"},
		{"mixed families", BackendConfig{Secret: testSecret, Algorithms: []string{"HS256", "RS256"}}, "mix"},
		{"RS without a key", BackendConfig{Algorithms: []string{"RS256"}}, "public key"},
		{"HS with a public key", BackendConfig{PublicKey: pub, Secret: testSecret}, "secret, not a public_key"},
		{"negative leeway", BackendConfig{Secret: testSecret, LeewaySec: -1}, "leeway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := compileJWT(&tt.cfg, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("compileJWT = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestJWTRevocation(t *testing.T) {
	t.Parallel()
	b := hsBackend(t, BackendConfig{Revoked: []string{"old"}})
	for jti, want := range map[string]string{"old": "revoked", "": "jti"} {
		c := validClaims()
		if jti != "" {
			c["jti"] = jti
		}
		if _, f := b.validate([]byte(sign(t, jwt.SigningMethodHS256, []byte(testSecret), c))); f == nil || !strings.Contains(f.Description, want) {
			t.Fatalf("jti %q: failure %+v, want %q", jti, f, want)
		}
	}
	c := validClaims()
	c["jti"] = "new"
	tok := []byte(sign(t, jwt.SigningMethodHS256, []byte(testSecret), c))
	if _, f := b.validate(tok); f != nil {
		t.Fatalf("fresh jti refused: %+v", f)
	}
	_ = b.revoked.Add("new", 0)
	if _, f := b.validate(tok); f == nil {
		t.Fatal("jti revoked at run time still accepted")
	}
}

func TestJWTTokenSources(t *testing.T) {
	t.Parallel()
	tok := sign(t, jwt.SigningMethodHS256, []byte(testSecret), validClaims())
	header := hsBackend(t, BackendConfig{})
	cookie := hsBackend(t, BackendConfig{Cookie: "access"})
	tests := []struct {
		name    string
		b       *jwtBackend
		set     func(h *fasthttp.RequestHeader)
		wantID  bool
		wantErr string
	}{
		{"bearer", header, func(h *fasthttp.RequestHeader) { h.Set("Authorization", "Bearer "+tok) }, true, ""},
		{"lower-case scheme", header, func(h *fasthttp.RequestHeader) { h.Set("Authorization", "bearer "+tok) }, true, ""},
		{"no header", header, func(*fasthttp.RequestHeader) {}, false, ""},
		{"basic scheme", header, func(h *fasthttp.RequestHeader) { h.Set("Authorization", "Basic YTpi") }, false, "Bearer"},
		{"empty bearer", header, func(h *fasthttp.RequestHeader) { h.Set("Authorization", "Bearer   ") }, false, "Bearer"},
		{"cookie", cookie, func(h *fasthttp.RequestHeader) { h.SetCookie("access", tok) }, true, ""},
		{"cookie backend ignores the header", cookie, func(h *fasthttp.RequestHeader) { h.Set("Authorization", "Bearer "+tok) }, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var ctx fasthttp.RequestCtx
			tt.set(&ctx.Request.Header)
			id, f := tt.b.authenticate(&ctx)
			if (id != nil) != tt.wantID || (tt.wantErr == "") != (f == nil) || (f != nil && !strings.Contains(f.Description, tt.wantErr)) {
				t.Fatalf("authenticate = %+v, %+v", id, f)
			}
		})
	}
}

func TestRevokeReachesEveryServerOfTheStore(t *testing.T) {
	t.Parallel()
	const store = 987654
	backends, err := CompileBackends([]BackendConfig{{Type: "jwt", Secret: testSecret, RevocationID: store}}, func() time.Time { return frozen })
	if err != nil {
		t.Fatal(err)
	}
	c := validClaims()
	c["jti"] = "abc"
	tok := []byte(sign(t, jwt.SigningMethodHS256, []byte(testSecret), c))
	b := backends[0].(*jwtBackend)
	if _, f := b.validate(tok); f != nil {
		t.Fatalf("refused before revocation: %+v", f)
	}
	for _, bad := range []string{"", "abc", "x\x00abc", "987654\x00"} {
		if n, _ := Revoke([]byte(bad)); n != 0 {
			t.Fatalf("Revoke(%q) = %d", bad, n)
		}
	}
	if n, _ := Revoke([]byte("987654\x00abc")); n != 1 {
		t.Fatalf("Revoke updated %d sets, want 1", n)
	}
	if _, f := b.validate(tok); f == nil || f.Description != "Token has been revoked" {
		t.Fatalf("after revocation: %+v", f)
	}
	backends.Release()
	if n, _ := Revoke([]byte("987654\x00def")); n != 0 {
		t.Fatalf("released store still updated (%d)", n)
	}
}
