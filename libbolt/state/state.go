// Package state is the server's shared state backend: one Redis (DJANGO_BOLT["STATE"])
// that every worker and host talks to, so that what must hold across processes (rate
// limits, token revocation, WebSocket group fan-out) does.
//
// A Store owns one pooled go-redis client. Every call made through it has a deadline
// (Config.TimeoutMs): a slow or dead Redis costs a request at most that long, never a hang.
// What a feature does when a call fails is its own choice (Config.RateLimit,
// Config.Revocation: "open" or "closed"); the feature reports the failure with Failed, which
// counts it (bolt_state_failures_total{feature=...}) and logs at most one line per feature
// every LogInterval.
//
// API for other packages (the WebSocket groups plug in here):
//
//	st.Client()                      // the *redis.Client, for anything not wrapped here
//	st.Batched()                     // scripts through the auto-pipeliner (hot paths)
//	ctx, cancel := st.Context()      // a context with the per-call deadline
//	st.Publish(ctx, channel, msg)    // PUBLISH
//	sub := st.Subscribe(context.Background(), channels...) // a *redis.PubSub; Close it
//	st.Failed(state.Feature("ws"), err)
package state

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config is DJANGO_BOLT["STATE"] and its options, as Python sends them.
type Config struct {
	// URL is redis://[user:password@]host:port/db, rediss:// (TLS) or unix:///path.
	URL string `json:"url"`
	// TimeoutMs bounds every call (dial, write, read, pool wait); default 250.
	TimeoutMs int `json:"timeout_ms"`
	// RateLimit is what a rate-limited request gets when Redis fails: "open" (default:
	// served, uncounted) or "closed" (429).
	RateLimit string `json:"rate_limit"`
	// Revocation is what a token gets when its revocation cannot be checked: "closed"
	// (default: refused with 401) or "open" (accepted unless this process revoked it).
	Revocation string `json:"revocation"`
	// RevocationCacheMs: how long a "not revoked" answer from Redis is reused by this
	// process before asking again (the short local cache); default 1000. A revocation
	// made by another process takes effect within this time.
	RevocationCacheMs int `json:"revocation_cache_ms"`
	// PoolSize is the most connections per process; default 10 per CPU (go-redis's).
	PoolSize int `json:"pool_size"`
}

// Failure modes.
const (
	FailOpen   = "open"
	FailClosed = "closed"
)

// LogInterval is the least time between two failure log lines of one feature.
const LogInterval = 10 * time.Second

// Feature names what failed, for the metric and the log line.
type Feature string

// The features that use the store.
const (
	RateLimit  Feature = "rate_limit"
	Revocation Feature = "revocation"
)

// Store is one server's connection to the shared state.
type Store struct {
	client  *redis.Client
	batched redis.Scripter // the client's auto-pipeliner (or the client itself)
	timeout time.Duration
	cfg     Config

	mu       sync.Mutex
	failures map[Feature]*failureCount
	broker   *Broker // the WebSocket group broker, once NewBroker made it
}

type failureCount struct {
	n       atomic.Uint64
	lastLog atomic.Int64 // unix nanoseconds of the last log line
}

var logger = log.New(os.Stderr, "bolt: ", log.LstdFlags)

// quiet replaces go-redis's logger, which writes a line per failed dial: during an
// outage that is a line per request. Failures are logged by Failed instead, rate-limited.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

var quietOnce sync.Once

func (c *Config) applyDefaults() {
	if c.TimeoutMs == 0 {
		c.TimeoutMs = 250
	}
	if c.RateLimit == "" {
		c.RateLimit = FailOpen
	}
	if c.Revocation == "" {
		c.Revocation = FailClosed
	}
	if c.RevocationCacheMs == 0 {
		c.RevocationCacheMs = 1000
	}
}

// Open validates c and builds the client. No connection is made yet (the first call
// dials), so a Redis that is down at start-up follows the failure modes like one that
// goes down later.
func Open(c *Config) (*Store, error) {
	cfg := *c
	cfg.applyDefaults()
	if cfg.TimeoutMs < 0 || cfg.RevocationCacheMs < 0 || cfg.PoolSize < 0 {
		return nil, fmt.Errorf("state: timeout, revocation cache and pool size must be positive")
	}
	for name, v := range map[string]string{"rate_limit": cfg.RateLimit, "revocation": cfg.Revocation} {
		if v != FailOpen && v != FailClosed {
			return nil, fmt.Errorf("state: %s failure mode must be %q or %q, got %q", name, FailOpen, FailClosed, v)
		}
	}
	opts, err := redis.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("state: %s: %w", redactURL(cfg.URL), err)
	}
	t := time.Duration(cfg.TimeoutMs) * time.Millisecond
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout, opts.PoolTimeout = t, t, t, t
	// One attempt: a retry would double the worst case a request waits, and the caller
	// has a failure mode for exactly this.
	opts.MaxRetries = -1
	opts.DialerRetries = 1
	opts.ContextTimeoutEnabled = true
	if cfg.PoolSize > 0 {
		opts.PoolSize = cfg.PoolSize
	}
	quietOnce.Do(func() { redis.SetLogger(quiet{}) })
	st := &Store{client: redis.NewClient(opts), timeout: t, cfg: cfg, failures: map[Feature]*failureCount{}}
	st.batched = st.client
	// Speed: concurrent requests' scripts leave in one write and their replies come back
	// in one read instead of a round trip each. Measured (BenchmarkSharedTake, 32
	// goroutines, loopback Redis): client CPU per call 12-18 us -> 5-7 us, twice the calls
	// per second. Closed with the client.
	if ap, err := st.client.AutoPipeline(); err == nil {
		st.batched = ap
	}
	return st, nil
}

// redactURL hides the password of a URL for error messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "STATE URL"
	}
	return u.Redacted()
}

// Client is the go-redis client, for calls this package does not wrap. Give every call a
// deadline (Context).
func (s *Store) Client() *redis.Client { return s.client }

// Batched runs scripts and commands through the client's auto-pipeliner: calls made at
// the same time by many goroutines share network writes and reads (the hot path of shared
// rate limits). Every call still needs a deadline (Context).
func (s *Store) Batched() redis.Scripter { return s.batched }

// Config is the store's configuration with defaults applied.
func (s *Store) Config() Config { return s.cfg }

// Timeout is the deadline of one call.
func (s *Store) Timeout() time.Duration { return s.timeout }

// Context returns a context with the per-call deadline.
func (s *Store) Context() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.timeout)
}

// Publish sends msg to channel (PUBLISH) within ctx's deadline.
func (s *Store) Publish(ctx context.Context, channel string, msg []byte) error {
	return s.client.Publish(ctx, channel, msg).Err()
}

// Subscribe listens on channels; read with sub.Channel() or sub.ReceiveMessage and Close
// it when done. ctx bounds only the subscription call; go-redis reconnects a broken
// subscription itself.
func (s *Store) Subscribe(ctx context.Context, channels ...string) *redis.PubSub {
	return s.client.Subscribe(ctx, channels...)
}

// Ping checks that Redis answers within the deadline.
func (s *Store) Ping() error {
	ctx, cancel := s.Context()
	defer cancel()
	return s.client.Ping(ctx).Err()
}

// Failed records a failed call of feature: the metric always, a log line at most once
// per LogInterval (a Redis outage must not flood the log at the request rate).
func (s *Store) Failed(f Feature, err error) {
	c := s.counter(f)
	c.n.Add(1)
	now := time.Now().UnixNano()
	last := c.lastLog.Load()
	if now-last < int64(LogInterval) || !c.lastLog.CompareAndSwap(last, now) {
		return
	}
	mode := ""
	switch f {
	case RateLimit:
		mode = " (rate limits fail " + s.cfg.RateLimit + ")"
	case Revocation:
		mode = " (revocation fails " + s.cfg.Revocation + ")"
	}
	logger.Printf("state: %s: Redis call failed%s: %v [%d failures so far]", f, mode, err, c.n.Load())
}

// Failures is how many calls of feature failed.
func (s *Store) Failures(f Feature) uint64 { return s.counter(f).n.Load() }

func (s *Store) counter(f Feature) *failureCount {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.failures[f]
	if c == nil {
		c = &failureCount{}
		s.failures[f] = c
	}
	return c
}

// WriteMetrics writes bolt_state_failures_total per feature (Prometheus text format).
func (s *Store) WriteMetrics(w io.Writer) {
	s.mu.Lock()
	names := make([]string, 0, len(s.failures))
	for f := range s.failures {
		names = append(names, string(f))
	}
	s.mu.Unlock()
	for _, f := range []Feature{RateLimit, Revocation} {
		if !slices.Contains(names, string(f)) {
			names = append(names, string(f))
		}
	}
	sort.Strings(names)
	_, _ = io.WriteString(w, "# TYPE bolt_state_failures_total counter\n")
	for _, n := range names {
		fmt.Fprintf(w, "bolt_state_failures_total{feature=%q} %d\n", strings.ReplaceAll(n, `"`, ""), s.Failures(Feature(n)))
	}
	s.mu.Lock()
	b := s.broker
	s.mu.Unlock()
	if b != nil {
		b.writeMetrics(w)
	}
}

// Close closes the client's connections.
func (s *Store) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	b := s.broker
	s.mu.Unlock()
	_ = b.Close() // its goroutines use the client
	return s.client.Close()
}
