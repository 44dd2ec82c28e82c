package auth

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/django-bolt-go/django-bolt-go/libbolt/state"
)

// Revocations is the set of revoked token ids (jti) of one backend: Python's
// InMemoryRevocation mirrored in Go so the check costs a map lookup and no Python, or,
// for a SharedRevocation, also the ids in Redis (DJANGO_BOLT["STATE"]) that any worker
// or host revoked.
type Revocations struct {
	mu  sync.RWMutex
	ids map[string]struct{}

	shared *sharedRevocations // nil: this process only
}

// RevokedKeyPrefix starts the Redis key of a revoked jti.
const RevokedKeyPrefix = "bolt:revoked:"

// sharedRevocations asks Redis, remembering "not revoked" answers for a short while
// (state.Config.RevocationCacheMs): without that cache every authenticated request would
// cost a round trip. A "revoked" answer is kept for good in the local set.
type sharedRevocations struct {
	st       *state.Store
	ttl      time.Duration // default lifetime of a revocation in Redis
	cacheFor time.Duration
	failOpen bool

	mu      sync.Mutex
	checked map[string]int64 // jti -> unix nanoseconds until which "not revoked" holds
}

// maxCheckedIDs bounds the "not revoked" cache; a full cache is emptied (cheap, bounded).
const maxCheckedIDs = 16 << 10

// NewRevocations starts a set with ids.
func NewRevocations(ids []string) *Revocations {
	r := &Revocations{ids: make(map[string]struct{}, len(ids))}
	for _, id := range ids {
		r.ids[id] = struct{}{}
	}
	return r
}

// Has reports whether this process knows jti as revoked.
func (r *Revocations) Has(jti string) bool {
	r.mu.RLock()
	_, ok := r.ids[jti]
	r.mu.RUnlock()
	return ok
}

// errUnchecked: Redis could not say, and revocation fails closed.
var errUnchecked = errors.New("revocation store unavailable")

// Check reports whether jti was revoked, here or (shared) by any process. An error means
// the shared store could not answer and the failure mode is closed.
func (r *Revocations) Check(jti string, now time.Time) (bool, error) {
	if r.Has(jti) {
		return true, nil
	}
	sh := r.shared
	if sh == nil {
		return false, nil
	}
	t := now.UnixNano()
	sh.mu.Lock()
	until, ok := sh.checked[jti]
	sh.mu.Unlock()
	if ok && t < until {
		return false, nil
	}
	ctx, cancel := sh.st.Context()
	n, err := sh.st.Client().Exists(ctx, RevokedKeyPrefix+jti).Result()
	cancel()
	if err != nil {
		sh.st.Failed(state.Revocation, err)
		if sh.failOpen {
			return false, nil
		}
		return false, errUnchecked
	}
	if n > 0 {
		r.mu.Lock()
		r.ids[jti] = struct{}{}
		r.mu.Unlock()
		return true, nil
	}
	sh.mu.Lock()
	if len(sh.checked) >= maxCheckedIDs {
		clear(sh.checked)
	}
	sh.checked[jti] = t + int64(sh.cacheFor)
	sh.mu.Unlock()
	return false, nil
}

// Add revokes jti in this process and, when shared, in Redis for ttl (0: the store's
// default lifetime).
func (r *Revocations) Add(jti string, ttl time.Duration) error {
	r.mu.Lock()
	r.ids[jti] = struct{}{}
	r.mu.Unlock()
	sh := r.shared
	if sh == nil {
		return nil
	}
	if ttl <= 0 {
		ttl = sh.ttl
	}
	ctx, cancel := sh.st.Context()
	defer cancel()
	if err := sh.st.Client().Set(ctx, RevokedKeyPrefix+jti, "1", ttl).Err(); err != nil {
		sh.st.Failed(state.Revocation, err)
		return fmt.Errorf("revoking a token in the shared state store: %w", err)
	}
	return nil
}

// ShareRevocations connects the SharedRevocation stores of these backends to st; a
// backend that wants one without a store configured fails start-up.
func (bs Backends) ShareRevocations(st *state.Store) error {
	for _, b := range bs {
		j, ok := b.(*jwtBackend)
		if !ok || j.sharedTTL == 0 {
			continue
		}
		if st == nil {
			return errors.New("SharedRevocation needs DJANGO_BOLT['STATE'] (a redis:// URL)")
		}
		c := st.Config()
		j.revoked.shared = &sharedRevocations{st: st, ttl: j.sharedTTL, checked: map[string]int64{},
			cacheFor: time.Duration(c.RevocationCacheMs) * time.Millisecond, failOpen: c.Revocation == state.FailOpen}
	}
	return nil
}

// Python stores are found by their id: every server in the process that compiled a
// backend with that store receives what InMemoryRevocation.revoke_now() pushes.
var (
	storesMu sync.Mutex
	stores   = map[int][]*Revocations{}
)

func registerStore(id int, r *Revocations) {
	storesMu.Lock()
	stores[id] = append(stores[id], r)
	storesMu.Unlock()
}

// Release forgets the revocation sets of these backends (the server is being freed).
func (bs Backends) Release() {
	storesMu.Lock()
	defer storesMu.Unlock()
	for _, b := range bs {
		j, ok := b.(*jwtBackend)
		if !ok || j.storeID == 0 {
			continue
		}
		stores[j.storeID] = slices.DeleteFunc(stores[j.storeID], func(r *Revocations) bool { return r == j.revoked })
		if len(stores[j.storeID]) == 0 {
			delete(stores, j.storeID)
		}
	}
}

// Revoke handles "store id\0jti" (optionally "\0ttl seconds") from Python; it returns how
// many sets were updated, and an error when a shared store could not be written.
func Revoke(msg []byte) (int, error) {
	idText, rest, ok := bytes.Cut(msg, []byte{0})
	jti, ttlText, _ := bytes.Cut(rest, []byte{0})
	if !ok || len(jti) == 0 {
		return 0, nil
	}
	id := 0
	for _, c := range idText {
		if c < '0' || c > '9' || id > 1<<30 {
			return 0, nil
		}
		id = id*10 + int(c-'0')
	}
	var ttl time.Duration
	if len(ttlText) > 0 {
		secs, err := strconv.ParseFloat(string(ttlText), 64)
		if err != nil || !(secs > 0) || secs > 1e9 {
			return 0, fmt.Errorf("revocation lifetime must be a positive number of seconds, got %q", ttlText)
		}
		ttl = time.Duration(secs * float64(time.Second))
	}
	storesMu.Lock()
	sets := slices.Clone(stores[id])
	storesMu.Unlock()
	var errs []error
	for _, r := range sets {
		if err := r.Add(string(jti), ttl); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		// Every server of the process shares the same Redis; one error says it all.
		return len(sets), errs[0]
	}
	return len(sets), nil
}
