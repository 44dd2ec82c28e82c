package ratelimit

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/testutil"
	"github.com/django-bolt-go/django-bolt-go/libbolt/state"
)

func openState(t *testing.T, c state.Config) *state.Store {
	t.Helper()
	st, err := state.Open(&c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// uniqueKey keeps concurrent test runs against one Redis apart.
func uniqueKey() string { return "t" + strconv.FormatInt(time.Now().UnixNano(), 36) }

// TestSharedLimitHoldsAcrossStores: two stores (two workers or hosts, each with its own
// connection pool) hitting the same client's bucket concurrently admit burst requests in
// all, not burst each.
func TestSharedLimitHoldsAcrossStores(t *testing.T) {
	t.Parallel()
	url := testutil.RedisURL(t)
	clock := &fakeClock{t: time.Unix(1000, 0)}
	cfg := Config{RPS: 0.001, Burst: 10, Key: "x-client"}
	workers := []*Limit{
		mustLimit(t, cfg, NewSharedStore(openState(t, state.Config{URL: url, TimeoutMs: 10_000})), nil, clock),
		mustLimit(t, cfg, NewSharedStore(openState(t, state.Config{URL: url, TimeoutMs: 10_000})), nil, clock),
	}
	key := uniqueKey()
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			ctx := requestFrom("192.0.2.1", "X-Client", key)
			if workers[i%2].Allow(ctx, "") {
				allowed.Add(1)
			} else if ctx.Response.StatusCode() != 429 || len(ctx.Response.Header.Peek("Retry-After")) == 0 {
				t.Errorf("refusal: %d %q", ctx.Response.StatusCode(), ctx.Response.Header.Peek("Retry-After"))
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 10 {
		t.Fatalf("%d of 60 requests allowed across two stores, want the burst of 10", n)
	}
	// Another client has its own bucket.
	if !workers[0].Allow(requestFrom("192.0.2.1", "X-Client", key+"-other"), "") {
		t.Fatal("a different key was refused")
	}
}

// TestSharedRetryAfter: the refusal says when the next token comes (rps 0.5: 2 s).
func TestSharedRetryAfter(t *testing.T) {
	t.Parallel()
	url := testutil.RedisURL(t)
	st := openState(t, state.Config{URL: url})
	store := NewSharedStore(st)
	key := []byte(uniqueKey())
	if w := store.Take(key, 0.5, 1, time.Time{}); w != 0 {
		t.Fatalf("first request waits %v", w)
	}
	w := store.Take(key, 0.5, 1, time.Time{})
	if w <= time.Second || w > 2*time.Second {
		t.Fatalf("second request waits %v, want (1s, 2s]", w)
	}
	ctx, cancel := st.Context()
	defer cancel()
	ttl, err := st.Client().PTTL(ctx, KeyPrefix+string(key)).Result()
	if err != nil || ttl <= 0 || ttl > 2*time.Second {
		t.Fatalf("bucket key expires in %v (%v); want within the refill time", ttl, err)
	}
}

// TestSharedFailureModes: with Redis down or hanging, a limited request is served
// ("open", the default) or refused with 429 ("closed"); every failure is counted.
func TestSharedFailureModes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, url, mode string
		allowed         bool
	}{
		{"down, open", testutil.ClosedPort(t), "", true},
		{"down, closed", testutil.ClosedPort(t), state.FailClosed, false},
		{"hung, open", testutil.SilentServer(t), state.FailOpen, true},
		{"hung, closed", testutil.SilentServer(t), state.FailClosed, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openState(t, state.Config{URL: tc.url, TimeoutMs: 30, RateLimit: tc.mode})
			r := mustLimit(t, Config{RPS: 1, Burst: 1}, NewSharedStore(st), nil, &fakeClock{})
			for range 3 {
				ctx := requestFrom("192.0.2.9")
				if got := r.Allow(ctx, ""); got != tc.allowed {
					t.Fatalf("Allow = %v, want %v", got, tc.allowed)
				}
				if !tc.allowed && string(ctx.Response.Header.Peek("Retry-After")) != "1" {
					t.Fatalf("Retry-After %q", ctx.Response.Header.Peek("Retry-After"))
				}
			}
			if n := st.Failures(state.RateLimit); n != 3 {
				t.Fatalf("%d failures counted, want 3", n)
			}
		})
	}
}
