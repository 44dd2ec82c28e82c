package auth

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// A cached token is still refused once it expires or is revoked, and a token that failed
// is never cached.
func TestTokenCacheKeepsExpiryAndRevocation(t *testing.T) {
	t.Parallel()
	now := frozen
	b, err := compileJWT(&BackendConfig{Secret: testSecret, Revoked: []string{"old"}}, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	claims := validClaims()
	claims["jti"] = "t1"
	tok := []byte(sign(t, jwt.SigningMethodHS256, []byte(testSecret), claims))
	for range 2 { // the second call is served from the cache
		if id, f := b.validate(tok); f != nil || id.UserID != "42" {
			t.Fatalf("valid token: id %+v, failure %+v", id, f)
		}
	}
	if b.cache.get(tok, now) == nil {
		t.Fatal("a verified token was not cached")
	}
	_ = b.revoked.Add("t1", 0)
	if _, f := b.validate(tok); f != failRevoked {
		t.Fatalf("revoked after caching: failure %+v", f)
	}
	now = frozen.Add(2 * time.Hour) // past exp
	if _, f := b.validate(tok); f == nil || f.Description != "Token has expired" {
		t.Fatalf("expired after caching: failure %+v", f)
	}
}

func TestTokenCacheNeverLendsAnIdentityToOtherBytes(t *testing.T) {
	t.Parallel()
	b := hsBackend(t, BackendConfig{})
	tok := []byte(sign(t, jwt.SigningMethodHS256, []byte(testSecret), validClaims()))
	if _, f := b.validate(tok); f != nil {
		t.Fatal(f)
	}
	forged := append([]byte(nil), tok...)
	forged[len(forged)-2] ^= 1 // another signature
	if _, f := b.validate(forged); f == nil {
		t.Fatal("a token with a changed signature was accepted")
	}
	bad := []byte(sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-12345"), validClaims()))
	for range 2 {
		if _, f := b.validate(bad); f == nil {
			t.Fatal("a token signed with another key was accepted")
		}
	}
	if b.cache.get(bad, frozen) != nil {
		t.Fatal("a failed token was cached")
	}
}
