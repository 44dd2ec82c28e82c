package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWK(t *testing.T, kid string) (*rsa.PrivateKey, map[string]any) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	e := big.NewInt(int64(k.E)).Bytes()
	return k, map[string]any{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64(k.N.Bytes()), "e": b64(e)}
}

func ecJWK(t *testing.T, kid string) (*ecdsa.PrivateKey, map[string]any) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := k.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	return k, map[string]any{"kty": "EC", "kid": kid, "crv": "P-256", "x": b64(raw[1:33]), "y": b64(raw[33:])}
}

func jwksDoc(t *testing.T, keys ...map[string]any) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func signKid(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) []byte {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(s)
}

func compileOrFail(t *testing.T, c BackendConfig) *jwtBackend {
	t.Helper()
	b, err := compileJWT(&c, FixedClock(float64(frozen.Unix())))
	if err != nil {
		t.Fatalf("compileJWT: %v", err)
	}
	return b
}

// A fixed key set with an RSA and an EC key: each token's kid picks its key; a kid the set
// lacks, a token signed by another key under a known kid, and a key pinned to another alg
// are refused.
func TestJWKSFixedSetSelectsKeyByKid(t *testing.T) {
	t.Parallel()
	rk, rj := rsaJWK(t, "r1")
	ek, ej := ecJWK(t, "e1")
	b := compileOrFail(t, BackendConfig{Algorithms: []string{"RS256", "ES256"}, JWKS: jwksDoc(t, rj, ej)})
	for name, tok := range map[string][]byte{
		"rsa": signKid(t, jwt.SigningMethodRS256, rk, "r1", validClaims()),
		"ec":  signKid(t, jwt.SigningMethodES256, ek, "e1", validClaims()),
	} {
		if id, f := b.validate(tok); f != nil || id.UserID != "42" {
			t.Fatalf("%s: refused: %v", name, f)
		}
	}
	other, _ := rsaJWK(t, "r1")
	cases := map[string]struct {
		tok  []byte
		desc string
	}{
		"unknown kid":      {signKid(t, jwt.SigningMethodRS256, rk, "nope", validClaims()), "Token kid names no key of the key set"},
		"no kid, two keys": {signKid(t, jwt.SigningMethodRS256, rk, "", validClaims()), "Token has no kid and the key set has several keys"},
		"wrong key":        {signKid(t, jwt.SigningMethodRS256, other, "r1", validClaims()), "Token signature or algorithm is not accepted"},
		"key pinned to RS256, token PS256": {
			signKid(t, jwt.SigningMethodPS256, rk, "r1", validClaims()), "Token signature or algorithm is not accepted"},
		"EC key named by an RS256 token": {signKid(t, jwt.SigningMethodRS256, rk, "e1", validClaims()), "Token signature or algorithm is not accepted"},
	}
	for name, c := range cases {
		_, f := b.validate(c.tok)
		if f == nil || f.Description != c.desc {
			t.Errorf("%s: failure %v, want %q", name, f, c.desc)
		}
	}
}

func TestJWKSConfigErrors(t *testing.T) {
	t.Parallel()
	_, rj := rsaJWK(t, "r1")
	small := map[string]any{"kty": "RSA", "kid": "s", "n": b64(big.NewInt(1 << 62).Bytes()), "e": "AQAB"}
	cases := map[string]BackendConfig{
		"HS with a key set":    {Algorithms: []string{"HS256"}, JWKS: jwksDoc(t, rj)},
		"both set and url":     {Algorithms: []string{"RS256"}, JWKS: jwksDoc(t, rj), JWKSURL: "https://x.example/jwks"},
		"set and public key":   {Algorithms: []string{"RS256"}, JWKS: jwksDoc(t, rj), PublicKey: "pem"},
		"no usable key":        {Algorithms: []string{"ES256"}, JWKS: jwksDoc(t, rj)},
		"not JSON":             {Algorithms: []string{"RS256"}, JWKS: "{"},
		"small RSA key":        {Algorithms: []string{"RS256"}, JWKS: jwksDoc(t, small)},
		"plain http elsewhere": {Algorithms: []string{"RS256"}, JWKSURL: "http://idp.example/jwks"},
		"unreachable url":      {Algorithms: []string{"RS256"}, JWKSURL: "http://127.0.0.1:1/jwks"},
		"bad token_type":       {Secret: testSecret, TokenType: "id"},
	}
	for name, c := range cases {
		if _, err := compileJWT(&c, nil); err == nil {
			t.Errorf("%s: compiled, want an error", name)
		}
	}
}

// jwksServer serves a key set that the test can replace, counting the fetches.
type jwksServer struct {
	mu      sync.Mutex
	doc     string
	fetches atomic.Int32
	srv     *httptest.Server
}

func newJWKSServer(t *testing.T, doc string) *jwksServer {
	s := &jwksServer{doc: doc}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fetches.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(s.doc))
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *jwksServer) set(doc string) {
	s.mu.Lock()
	s.doc = doc
	s.mu.Unlock()
}

// A key set fetched from a URL at start-up; a token with a new kid (the provider rotated)
// makes one refetch, and further unknown kids within the refresh interval make none.
func TestJWKSURLRefetchesOnUnknownKidRateLimited(t *testing.T) {
	t.Parallel()
	k1, j1 := rsaJWK(t, "k1")
	k2, j2 := rsaJWK(t, "k2")
	s := newJWKSServer(t, jwksDoc(t, j1))
	b := compileOrFail(t, BackendConfig{Algorithms: []string{"RS256"}, JWKSURL: s.srv.URL + "/jwks", JWKSRefresh: 3600})
	if got := s.fetches.Load(); got != 1 {
		t.Fatalf("fetches at start-up: %d", got)
	}
	if _, f := b.validate(signKid(t, jwt.SigningMethodRS256, k1, "k1", validClaims())); f != nil {
		t.Fatalf("k1: %v", f)
	}
	s.set(jwksDoc(t, j1, j2))
	if _, f := b.validate(signKid(t, jwt.SigningMethodRS256, k2, "k2", validClaims())); f != nil {
		t.Fatalf("k2 after rotation: %v", f)
	}
	if got := s.fetches.Load(); got != 2 {
		t.Fatalf("fetches after the rotation: %d, want 2", got)
	}
	for i := 0; i < 5; i++ {
		if _, f := b.validate(signKid(t, jwt.SigningMethodRS256, k2, "made-up", validClaims())); f == nil {
			t.Fatal("a made-up kid was accepted")
		}
	}
	if got := s.fetches.Load(); got != 2 {
		t.Fatalf("made-up kids caused fetches: %d, want 2", got)
	}
}

// Refresh tokens are refused where an access token is expected (both claim names, any
// case); a token_type="refresh" backend accepts refresh tokens only.
func TestJWTTokenTypes(t *testing.T) {
	t.Parallel()
	key := []byte(testSecret)
	access := hsBackend(t, BackendConfig{})
	refresh := hsBackend(t, BackendConfig{TokenType: "refresh"})
	with := func(k, v string) []byte {
		c := validClaims()
		c[k] = v
		return []byte(sign(t, jwt.SigningMethodHS256, key, c))
	}
	plain := []byte(sign(t, jwt.SigningMethodHS256, key, validClaims()))
	for _, tok := range [][]byte{with("typ", "refresh"), with("typ", "Refresh"), with("typ", "ID"), with("token_type", "refresh")} {
		if _, f := access.validate(tok); f != failNotAccess {
			t.Errorf("access backend: %v", f)
		}
	}
	for _, tok := range [][]byte{plain, with("typ", "access"), with("typ", "Bearer")} {
		if _, f := access.validate(tok); f != nil {
			t.Errorf("access backend refused an access token: %v", f)
		}
		if _, f := refresh.validate(tok); f != failNotRefresh {
			t.Errorf("refresh backend: %v", f)
		}
	}
	for _, tok := range [][]byte{with("typ", "refresh"), with("token_type", "refresh")} {
		if _, f := refresh.validate(tok); f != nil {
			t.Errorf("refresh backend refused a refresh token: %v", f)
		}
	}
	if !strings.Contains(failNotRefresh.Description, "refresh") {
		t.Fatal(failNotRefresh.Description)
	}
}

// oidc_issuer: the key set is found through the issuer's OpenID configuration, and the
// issuer claim is then required; a configuration naming another issuer is refused.
func TestOIDCDiscovery(t *testing.T) {
	t.Parallel()
	k1, j1 := rsaJWK(t, "k1")
	var issuer string
	var claimed atomic.Value
	mux := http.NewServeMux()
	mux.HandleFunc("/tenant/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": claimed.Load().(string), "jwks_uri": issuer + "/keys"})
	})
	mux.HandleFunc("/tenant/keys", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(jwksDoc(t, j1)))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	issuer = srv.URL + "/tenant"
	claimed.Store(issuer)
	b := compileOrFail(t, BackendConfig{Algorithms: []string{"RS256"}, OIDCIssuer: issuer})
	good := validClaims()
	good["iss"] = issuer
	if _, f := b.validate(signKid(t, jwt.SigningMethodRS256, k1, "k1", good)); f != nil {
		t.Fatalf("token of the issuer refused: %v", f)
	}
	if _, f := b.validate(signKid(t, jwt.SigningMethodRS256, k1, "k1", validClaims())); f == nil {
		t.Fatal("a token without iss was accepted")
	}
	claimed.Store("https://other.example")
	if _, err := compileJWT(&BackendConfig{Algorithms: []string{"RS256"}, OIDCIssuer: issuer}, nil); err == nil ||
		!strings.Contains(err.Error(), "names issuer") {
		t.Fatalf("a configuration for another issuer: %v", err)
	}
}
