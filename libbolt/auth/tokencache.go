package auth

import (
	"encoding/json"
	"hash/maphash"
	"sync"
	"time"
)

// Speed: verifying a JWT (base64, JSON, HMAC or a signature, claims) costs several
// microseconds and dozens of allocations, and a client sends the same token on every
// request until it expires. A token that verified once is remembered, keyed by its exact
// bytes, until its exp (plus leeway): the same bytes can only verify the same way while
// the backend's key, algorithms, audience and issuer are fixed, which they are for the
// life of the server. Only successes are cached (a failure may be a token that is not
// valid yet); revocation is still checked on every request.

const (
	tokenCacheShards   = 16
	tokenCachePerShard = 1024 // 16k tokens; a full shard is emptied (cheap, bounded)
)

type cachedToken struct {
	token   string
	id      *Identity
	expires int64 // unix nanoseconds: exp + leeway
}

type tokenCache struct {
	seed   maphash.Seed
	shards [tokenCacheShards]struct {
		mu sync.Mutex
		m  map[uint64]cachedToken
	}
}

func newTokenCache() *tokenCache {
	c := &tokenCache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = make(map[uint64]cachedToken)
	}
	return c
}

// get returns the identity of tok when it verified before and has not expired at now.
func (c *tokenCache) get(tok []byte, now time.Time) *Identity {
	h := maphash.Bytes(c.seed, tok)
	sh := &c.shards[h%tokenCacheShards]
	sh.mu.Lock()
	e, ok := sh.m[h]
	sh.mu.Unlock()
	// The full token is compared: a hash collision must never lend another identity.
	if !ok || e.token != string(tok) || now.UnixNano() >= e.expires {
		return nil
	}
	return e.id
}

// put remembers a verified token until its exp claim (plus leeway).
func (c *tokenCache) put(tok []byte, id *Identity, exp any, leeway time.Duration) {
	var secs int64
	switch v := exp.(type) {
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return
		}
		secs = int64(f)
	case float64:
		secs = int64(v)
	default:
		return
	}
	h := maphash.Bytes(c.seed, tok)
	sh := &c.shards[h%tokenCacheShards]
	sh.mu.Lock()
	if len(sh.m) >= tokenCachePerShard {
		clear(sh.m)
	}
	sh.m[h] = cachedToken{token: string(tok), id: id, expires: time.Unix(secs, 0).Add(leeway).UnixNano()}
	sh.mu.Unlock()
}
