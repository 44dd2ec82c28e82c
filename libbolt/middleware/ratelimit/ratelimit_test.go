package ratelimit

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func requestFrom(peer string, headers ...string) *fasthttp.RequestCtx {
	ctx := &fasthttp.RequestCtx{}
	ctx.Init(&fasthttp.Request{}, &net.TCPAddr{IP: net.ParseIP(peer), Port: 5000}, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		ctx.Request.Header.Set(headers[i], headers[i+1])
	}
	return ctx
}

func mustLimit(t *testing.T, c Config, store Store, proxies *TrustedProxies, clock *fakeClock) *Limit {
	t.Helper()
	r, err := Compile(&c, 7, store, proxies, clock.now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestTokenBucket(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Unix(1000, 0)}
	r := mustLimit(t, Config{RPS: 2, Burst: 3}, NewBucketStore(0), nil, clock)
	got := ""
	for range 5 {
		ctx := requestFrom("192.0.2.1")
		if r.Allow(ctx, "") {
			got += "y"
		} else {
			got += "n"
			if ctx.Response.StatusCode() != 429 || string(ctx.Response.Header.Peek("Retry-After")) != "1" ||
				!strings.Contains(string(ctx.Response.Body()), `"retry_after":1`) {
				t.Fatalf("429 = %d %q %s", ctx.Response.StatusCode(), ctx.Response.Header.Peek("Retry-After"), ctx.Response.Body())
			}
		}
	}
	if got != "yyynn" {
		t.Fatalf("burst of 3 then refusals: got %s", got)
	}
	if r.Allow(requestFrom("192.0.2.2"), "") != true {
		t.Fatal("another address shares the bucket")
	}
	clock.t = clock.t.Add(500 * time.Millisecond) // one token at 2 rps
	if !r.Allow(requestFrom("192.0.2.1"), "") || r.Allow(requestFrom("192.0.2.1"), "") {
		t.Fatal("refill after 0.5 s at 2 rps should allow exactly one request")
	}
}

func TestRetryAfterRoundsUp(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Unix(1000, 0)}
	r := mustLimit(t, Config{RPS: 0.1, Burst: 1}, NewBucketStore(0), nil, clock)
	r.Allow(requestFrom("192.0.2.1"), "")
	ctx := requestFrom("192.0.2.1")
	if r.Allow(ctx, "") || string(ctx.Response.Header.Peek("Retry-After")) != "10" {
		t.Fatalf("Retry-After = %q, want 10", ctx.Response.Header.Peek("Retry-After"))
	}
}

// The 429 carries django-bolt's X-RateLimit-* headers (their names are part of the API).
func TestRefusalHeaders(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Unix(1000, 0)}
	r := mustLimit(t, Config{RPS: 1, Burst: 2}, NewBucketStore(0), nil, clock)
	ctx := requestFrom("192.0.2.1")
	for range 3 {
		r.Allow(ctx, "")
	}
	h := &ctx.Response.Header
	if ctx.Response.StatusCode() != 429 || string(h.Peek("X-RateLimit-Limit")) != "1" || string(h.Peek("X-RateLimit-Burst")) != "2" {
		t.Fatalf("refusal: %d, headers:\n%s", ctx.Response.StatusCode(), h.String())
	}
}

// A config without burst (the RATE_LIMIT setting's; @rate_limit always sends one) holds
// max(1, ceil(rps)) tokens, as docs/auth.md says.
func TestDefaultBurstIsCeilRPS(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		rps  float64
		want string
	}{{2.5, "3"}, {0.2, "1"}, {10, "10"}} {
		r := mustLimit(t, Config{RPS: c.rps}, NewBucketStore(0), nil, &fakeClock{t: time.Unix(1000, 0)})
		if got := string(r.burstHdr); got != c.want {
			t.Errorf("rps %v: burst %s, want %s", c.rps, got, c.want)
		}
	}
}

func TestRateLimitKeys(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Unix(1000, 0)}
	store := NewBucketStore(0)
	byUser := mustLimit(t, Config{RPS: 1, Burst: 1, Key: "user"}, store, nil, clock)
	if !byUser.Allow(requestFrom("192.0.2.1"), "u1") || !byUser.Allow(requestFrom("192.0.2.1"), "u2") || byUser.Allow(requestFrom("192.0.2.9"), "u1") {
		t.Fatal("user key: each user has one bucket, whatever the address")
	}
	byHeader := mustLimit(t, Config{RPS: 1, Burst: 1, Key: "X-API-Key"}, store, nil, clock)
	long := strings.Repeat("k", 10_000)
	if !byHeader.Allow(requestFrom("192.0.2.1", "X-API-Key", long), "") || byHeader.Allow(requestFrom("192.0.2.2", "X-API-Key", long), "") {
		t.Fatal("header key: one bucket per header value")
	}
}

func TestBucketStoreIsBounded(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{t: time.Unix(1000, 0)}
	store := NewBucketStore(1600)
	r := mustLimit(t, Config{RPS: 1, Burst: 1, Key: "x-key"}, store, nil, clock)
	for i := range 20_000 {
		r.Allow(requestFrom("192.0.2.1", "x-key", strconv.Itoa(i)), "")
	}
	if n := store.Len(); n > 1600 || n < 1500 {
		t.Fatalf("store holds %d buckets, want about 1600 at most", n)
	}
	// The most recent key is still limited (its bucket survived eviction).
	if r.Allow(requestFrom("192.0.2.1", "x-key", "19999"), "") {
		t.Fatal("most recently used bucket was evicted")
	}
}

func TestCompileRateLimitRejects(t *testing.T) {
	t.Parallel()
	for _, c := range []Config{{RPS: 0}, {RPS: -1}, {RPS: 1, Burst: -2}, {RPS: 1, Key: "bad key"}} {
		if _, err := Compile(&c, 1, NewBucketStore(0), nil, nil); err == nil {
			t.Fatalf("%+v accepted", c)
		}
	}
}
