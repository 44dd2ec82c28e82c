package auth

import (
	"bytes"
	"slices"
	"sync"
)

// Revocations is an in-memory set of revoked token ids (jti): Python's
// InMemoryRevocation, mirrored in Go so the check costs a map lookup and no Python.
type Revocations struct {
	mu  sync.RWMutex
	ids map[string]struct{}
}

// NewRevocations starts a set with ids.
func NewRevocations(ids []string) *Revocations {
	r := &Revocations{ids: make(map[string]struct{}, len(ids))}
	for _, id := range ids {
		r.ids[id] = struct{}{}
	}
	return r
}

// Has reports whether jti was revoked.
func (r *Revocations) Has(jti string) bool {
	r.mu.RLock()
	_, ok := r.ids[jti]
	r.mu.RUnlock()
	return ok
}

// Add revokes jti.
func (r *Revocations) Add(jti string) {
	r.mu.Lock()
	r.ids[jti] = struct{}{}
	r.mu.Unlock()
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

// Revoke handles "store id\0jti" from Python; it returns how many sets were updated.
func Revoke(msg []byte) int {
	idText, jti, ok := bytes.Cut(msg, []byte{0})
	if !ok || len(jti) == 0 {
		return 0
	}
	id := 0
	for _, c := range idText {
		if c < '0' || c > '9' || id > 1<<30 {
			return 0
		}
		id = id*10 + int(c-'0')
	}
	storesMu.Lock()
	sets := slices.Clone(stores[id])
	storesMu.Unlock()
	for _, r := range sets {
		r.Add(string(jti))
	}
	return len(sets)
}
