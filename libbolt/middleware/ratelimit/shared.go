package ratelimit

import (
	"math"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/django-bolt-go/django-bolt-go/libbolt/state"
)

// KeyPrefix starts every rate-limit key in Redis; the rest is the bucket key of this
// package ("route|kind|value"), so the same client on the same route shares one bucket
// whichever worker or host it reaches.
const KeyPrefix = "bolt:rl:"

// gcra is the generic cell rate algorithm (the token bucket written as one timestamp),
// evaluated atomically in Redis so that concurrent workers and hosts never both take the
// last token. The key holds the theoretical arrival time (TAT) in microseconds of Redis's
// own clock: hosts with skewed clocks still agree. KEYS[1] the bucket; ARGV[1] the emission
// interval (1/rps) and ARGV[2] the tolerance (burst x interval), both in microseconds.
// Returns 0 (allowed) or the microseconds until a request would be.
//
// A request is allowed when TAT + interval - tolerance <= now; then TAT moves on by one
// interval. burst requests fit at once; after that one per interval, as with BucketStore.
// The key expires when its bucket is full again, so idle clients cost Redis nothing.
// Numbers are formatted with %.0f: Lua 5.1 would print 16-digit doubles as 1.7e+15.
var gcra = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now) or now
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - tolerance
if allow_at > now then
  return math.ceil(allow_at - now)
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.max(1, math.ceil((new_tat - now) / 1000)))
return 0
`)

// SharedStore keeps the buckets in Redis (DJANGO_BOLT["STATE"]): one round trip per
// limited request, the limit holds across workers and hosts. The key store bound
// (RATE_LIMIT_MAX_KEYS) does not apply: Redis expires idle buckets itself.
type SharedStore struct {
	st         *state.Store
	scripter   redis.Scripter
	failClosed bool
}

// NewSharedStore keeps buckets in st; on a failed call a request is allowed unless st's
// rate-limit failure mode is "closed".
func NewSharedStore(st *state.Store) *SharedStore {
	return &SharedStore{st: st, scripter: st.Batched(), failClosed: st.Config().RateLimit == state.FailClosed}
}

// failClosedWait is the Retry-After of a request refused because Redis failed.
const failClosedWait = time.Second

// Take runs the GCRA script for key. now is not used: the time is Redis's, the one clock
// every host shares (a frozen test clock does not apply to shared limits).
func (s *SharedStore) Take(key []byte, rps, burst float64, _ time.Time) time.Duration {
	interval := 1e6 / rps
	ctx, cancel := s.st.Context()
	defer cancel()
	wait, err := gcra.Run(ctx, s.scripter, []string{KeyPrefix + string(key)},
		int64(math.Ceil(interval)), int64(math.Ceil(interval*burst))).Int64()
	if err != nil {
		s.st.Failed(state.RateLimit, err)
		if s.failClosed {
			return failClosedWait
		}
		return 0
	}
	return time.Duration(wait) * time.Microsecond
}
