// Package ratelimit limits requests per client with token buckets keyed by client address
// (clientip.go), user or header, in one bounded store shared by every route.
package ratelimit

import (
	"crypto/sha256"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	jsoniter "github.com/json-iterator/go"
	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/header"
)

// Config is @rate_limit(rps=, burst=, key=) or the global RATE_LIMIT setting.
type Config struct {
	RPS   float64 `json:"rps"`   // tokens added per second, > 0
	Burst int     `json:"burst"` // bucket size; default max(1, ceil(rps))
	Key   string  `json:"key"`   // "ip" (default), "user", or a request header name
}

// DefaultMaxKeys bounds the key store: an attacker rotating addresses or header
// values can make it evict, never grow.
const DefaultMaxKeys = 100_000

// maxKeyBytes: longer header values are hashed, so each stored key is small.
const maxKeyBytes = 64

type keyKind uint8

const (
	keyIP keyKind = iota
	keyUser
	keyHeader
)

// Limit is one route's compiled limit.
type Limit struct {
	route    uint16
	rps      float64
	burst    float64
	kind     keyKind
	header   string
	store    Store
	proxies  *TrustedProxies
	now      func() time.Time
	limitHdr []byte
	burstHdr []byte
}

// Compile validates c for the route with id route.
func Compile(c *Config, route uint16, store Store, proxies *TrustedProxies, now func() time.Time) (*Limit, error) {
	if !(c.RPS > 0) || math.IsInf(c.RPS, 0) {
		return nil, fmt.Errorf("rate limit rps must be a positive number, got %v", c.RPS)
	}
	burst := c.Burst
	if burst == 0 {
		burst = max(1, int(math.Ceil(c.RPS)))
	}
	if burst < 1 {
		return nil, fmt.Errorf("rate limit burst must be >= 1, got %d", c.Burst)
	}
	if now == nil {
		now = time.Now
	}
	r := &Limit{route: route, rps: c.RPS, burst: float64(burst), store: store, proxies: proxies, now: now}
	switch key := strings.ToLower(c.Key); key {
	case "", "ip":
		r.kind = keyIP
	case "user":
		r.kind = keyUser
	default:
		if !header.IsToken(key) {
			return nil, fmt.Errorf("rate limit key %q must be \"ip\", \"user\" or a header name", c.Key)
		}
		r.kind, r.header = keyHeader, key
	}
	r.limitHdr = strconv.AppendFloat(nil, c.RPS, 'f', -1, 64)
	r.burstHdr = strconv.AppendInt(nil, int64(burst), 10)
	return r, nil
}

// ByUser reports whether the key is the authenticated user (checked after auth; an IP or
// header key is checked before it, so floods never reach token validation).
func (r *Limit) ByUser() bool { return r.kind == keyUser }

var (
	hRetryAfter = []byte("Retry-After")
	hLimit      = []byte("X-RateLimit-Limit")
	hBurst      = []byte("X-RateLimit-Burst")
	jsonType    = []byte("application/json")
)

// Allow takes a token for this request, or answers 429 and returns false. userID is the
// authenticated user for key="user" ("" falls back to the client address).
func (r *Limit) Allow(ctx *fasthttp.RequestCtx, userID string) bool {
	var kb [80]byte
	key := r.appendKey(kb[:0], ctx, userID)
	wait := r.store.Take(key, r.rps, r.burst, r.now())
	if wait == 0 {
		return true
	}
	secs := int64(math.Ceil(wait.Seconds()))
	secs = max(secs, 1)
	h := &ctx.Response.Header
	h.SetBytesKV(hRetryAfter, strconv.AppendInt(nil, secs, 10))
	h.SetBytesKV(hLimit, r.limitHdr)
	h.SetBytesKV(hBurst, r.burstHdr)
	body, _ := jsoniter.Marshal(map[string]any{
		"detail":      "Rate limit exceeded. Try again in " + strconv.FormatInt(secs, 10) + " seconds.",
		"retry_after": secs,
	})
	ctx.Response.ResetBody()
	ctx.SetStatusCode(fasthttp.StatusTooManyRequests)
	ctx.SetContentTypeBytes(jsonType)
	ctx.SetBody(body)
	return false
}

// appendKey builds "route|kind|value"; buckets are per route, as in django-bolt.
func (r *Limit) appendKey(dst []byte, ctx *fasthttp.RequestCtx, userID string) []byte {
	dst = strconv.AppendUint(dst, uint64(r.route), 10)
	switch {
	case r.kind == keyUser && userID != "":
		dst = append(dst, "|u|"...)
		return appendBounded(dst, []byte(userID))
	case r.kind == keyHeader:
		if v := header.Peek(&ctx.Request.Header, r.header); len(v) > 0 {
			dst = append(dst, "|h|"...)
			return appendBounded(dst, v)
		}
	}
	dst = append(dst, "|ip|"...)
	return r.proxies.ClientIP(ctx).AppendTo(dst)
}

func appendBounded(dst, v []byte) []byte {
	if len(v) <= maxKeyBytes {
		return append(dst, v...)
	}
	sum := sha256.Sum256(v)
	return append(dst, sum[:]...)
}

// Store keeps the buckets: BucketStore in this process, SharedStore in Redis.
type Store interface {
	// Take removes one token from key's bucket (rps tokens a second, at most burst); it
	// returns 0, or how long until a token is there.
	Take(key []byte, rps, burst float64, now time.Time) time.Duration
}

// BucketStore holds token buckets in a bounded LRU, split in shards so that concurrent
// requests rarely share a lock.
type BucketStore struct {
	shards [16]bucketShard
}

type bucketShard struct {
	mu    sync.Mutex
	max   int
	items map[string]*bucket
	head  bucket // sentinel of the recency list: head.next is the most recent
}

type bucket struct {
	key        string
	tokens     float64
	last       time.Time
	prev, next *bucket
}

// NewBucketStore holds at most maxKeys buckets (DefaultMaxKeys when <= 0).
func NewBucketStore(maxKeys int) *BucketStore {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	s := &BucketStore{}
	per := max(1, maxKeys/len(s.shards))
	for i := range s.shards {
		sh := &s.shards[i]
		sh.max = per
		sh.items = make(map[string]*bucket)
		sh.head.next, sh.head.prev = &sh.head, &sh.head
	}
	return s
}

// Len is the number of stored buckets.
func (s *BucketStore) Len() int {
	n := 0
	for i := range s.shards {
		s.shards[i].mu.Lock()
		n += len(s.shards[i].items)
		s.shards[i].mu.Unlock()
	}
	return n
}

// Take removes one token from key's bucket; it returns 0, or how long until one is there.
func (s *BucketStore) Take(key []byte, rps, burst float64, now time.Time) time.Duration {
	sh := &s.shards[fnv(key)%uint32(len(s.shards))]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b := sh.items[string(key)] // no allocation for the lookup
	if b == nil {
		b = sh.insert(string(key), burst, now)
	} else {
		sh.unlink(b)
		sh.pushFront(b)
		if dt := now.Sub(b.last).Seconds(); dt > 0 {
			b.tokens = min(burst, b.tokens+dt*rps)
		}
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration((1 - b.tokens) / rps * float64(time.Second))
}

// insert adds a full bucket, evicting the least recently used one when the shard is full.
// An evicted bucket comes back full: a client whose key was pushed out gets a fresh burst,
// which is the price of a bounded store.
func (sh *bucketShard) insert(key string, burst float64, now time.Time) *bucket {
	if len(sh.items) >= sh.max {
		old := sh.head.prev
		sh.unlink(old)
		delete(sh.items, old.key)
	}
	b := &bucket{key: key, tokens: burst, last: now}
	sh.items[key] = b
	sh.pushFront(b)
	return b
}

func (sh *bucketShard) unlink(b *bucket) {
	b.prev.next, b.next.prev = b.next, b.prev
}

func (sh *bucketShard) pushFront(b *bucket) {
	b.prev, b.next = &sh.head, sh.head.next
	sh.head.next.prev = b
	sh.head.next = b
}

func fnv(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}
