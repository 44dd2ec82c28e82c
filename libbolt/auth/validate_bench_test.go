package auth

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// BenchmarkValidateUncached is the full verification of a token not seen before (parse,
// HMAC, claims, token kind, identity): the token cache is emptied every round, which
// costs the same in every version of validate.
func BenchmarkValidateUncached(b *testing.B) {
	bk, err := compileJWT(&BackendConfig{Secret: testSecret}, func() time.Time { return frozen })
	if err != nil {
		b.Fatal(err)
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, validClaims()).SignedString([]byte(testSecret))
	if err != nil {
		b.Fatal(err)
	}
	raw := []byte(tok)
	b.ReportAllocs()
	for b.Loop() {
		for i := range bk.cache.shards {
			clear(bk.cache.shards[i].m)
		}
		if _, f := bk.validate(raw); f != nil {
			b.Fatal(f.Description)
		}
	}
}
