package auth

import (
	"testing"

	"github.com/golang-jwt/jwt/v5"
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
