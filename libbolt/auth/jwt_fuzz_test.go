package auth

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzValidate feeds arbitrary bytes to the token validator and the bearer parser: they
// must never panic, and nothing unsigned by our key may pass.
func FuzzValidate(f *testing.F) {
	b, err := compileJWT(&BackendConfig{Secret: testSecret}, func() time.Time { return frozen })
	if err != nil {
		f.Fatal(err)
	}
	good, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "1", "exp": frozen.Unix() + 60}).SignedString([]byte(testSecret))
	for _, s := range []string{good, "a.b.c", "..", "Bearer x", "eyJhbGciOiJub25lIn0.e30.", good + "x", "bearer " + good} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if id, _ := b.validate(data); id != nil && string(data) != good {
			// Only a token signed with testSecret can pass; the fuzzer cannot forge HMAC.
			if _, err := jwt.Parse(string(data), func(*jwt.Token) (any, error) { return []byte(testSecret), nil }, jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(func() time.Time { return frozen })); err != nil {
				t.Fatalf("accepted a token the reference parser refuses: %q", data)
			}
		}
		_, _ = BearerToken(data)
	})
}
