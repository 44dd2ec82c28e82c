package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/header"
)

// apiKeyBackend accepts one of a fixed set of keys sent in a header.
type apiKeyBackend struct {
	header string
	keys   []apiKey
	realm  []byte
}

type apiKey struct {
	digest [sha256.Size]byte
	perms  []string
}

var failBadKey = &Failure{"invalid_token", "Invalid API key"}

func compileAPIKey(c *BackendConfig) (*apiKeyBackend, error) {
	if len(c.APIKeys) == 0 {
		return nil, errors.New("api_keys is empty: no request could ever authenticate")
	}
	b := &apiKeyBackend{header: strings.ToLower(c.Header)}
	if b.header == "" {
		b.header = "x-api-key"
	}
	for _, k := range c.APIKeys {
		if k == "" {
			return nil, errors.New("api_keys contains an empty key")
		}
		b.keys = append(b.keys, apiKey{digest: sha256.Sum256([]byte(k)), perms: c.KeyPermissions[k]})
	}
	for k := range c.KeyPermissions {
		if !contains(c.APIKeys, k) {
			return nil, errors.New("key_permissions names a key that is not in api_keys")
		}
	}
	b.realm = []byte(`ApiKey header="` + b.header + `"`)
	return b, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (b *apiKeyBackend) authenticate(ctx *fasthttp.RequestCtx) (*Identity, *Failure) {
	v := header.Peek(&ctx.Request.Header, b.header)
	if len(v) == 0 {
		return nil, nil
	}
	if k := b.match(v); k != nil {
		return &Identity{Backend: "api_key", Permissions: k.perms}, nil
	}
	return nil, failBadKey
}

// match compares digests, so every comparison has the same length, and visits every key
// without stopping early: the time taken says nothing about which key (or how much of
// one) matched.
func (b *apiKeyBackend) match(v []byte) *apiKey {
	d := sha256.Sum256(v)
	found := -1
	for i := range b.keys {
		if subtle.ConstantTimeCompare(d[:], b.keys[i].digest[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return nil
	}
	return &b.keys[found]
}

func (b *apiKeyBackend) challenge(f *Failure) []byte {
	if f == nil {
		return b.realm
	}
	return appendChallenge(append([]byte(nil), b.realm...), f)
}
