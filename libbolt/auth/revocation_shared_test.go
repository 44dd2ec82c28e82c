package auth

import (
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/testutil"
	"github.com/django-bolt-go/django-bolt-go/libbolt/state"
)

// sharedBackend is one worker's JWT backend with a SharedRevocation store in Redis.
func sharedBackend(t *testing.T, url string, storeID int, c state.Config) *jwtBackend {
	t.Helper()
	c.URL = url
	st, err := state.Open(&c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	backends, err := CompileBackends([]BackendConfig{{Type: "jwt", Secret: testSecret, RevocationID: storeID,
		RevocationShared: true, RevocationTTL: 60}}, func() time.Time { return frozen })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(backends.Release)
	if err := backends.ShareRevocations(st); err != nil {
		t.Fatal(err)
	}
	return backends[0].(*jwtBackend)
}

func tokenWithJTI(t *testing.T, jti string) []byte {
	c := validClaims()
	c["jti"] = jti
	return []byte(sign(t, jwt.SigningMethodHS256, []byte(testSecret), c))
}

// TestSharedRevocationReachesOtherProcesses: a token revoked through one worker is refused
// by another (a different store registration, as in another process) once its short
// "not revoked" cache has expired.
func TestSharedRevocationReachesOtherProcesses(t *testing.T) {
	t.Parallel()
	url := testutil.RedisURL(t)
	jti := "shared-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	tok := tokenWithJTI(t, jti)
	a := sharedBackend(t, url, 424201, state.Config{TimeoutMs: 5000})
	b := sharedBackend(t, url, 424202, state.Config{TimeoutMs: 5000, RevocationCacheMs: 1})
	if _, f := b.validate(tok); f != nil {
		t.Fatalf("refused before revocation: %+v", f)
	}
	if n, err := Revoke([]byte("424201\x00" + jti + "\x0030")); n != 1 || err != nil {
		t.Fatalf("Revoke = %d, %v", n, err)
	}
	if _, f := a.validate(tok); f != failRevoked {
		t.Fatalf("revoking worker: %+v", f)
	}
	time.Sleep(5 * time.Millisecond) // past b's 1 ms cache
	if _, f := b.validate(tok); f != failRevoked {
		t.Fatalf("other worker: %+v", f)
	}
	if _, err := Revoke([]byte("424201\x00x\x00-3")); err == nil {
		t.Fatal("negative lifetime accepted")
	}
}

// TestSharedRevocationFailureModes: Redis down -> refused ("closed", the default) or
// accepted ("open"), counted either way; a revocation that cannot be written is an error.
func TestSharedRevocationFailureModes(t *testing.T) {
	t.Parallel()
	tok := tokenWithJTI(t, "j1")
	closed := sharedBackend(t, testutil.ClosedPort(t), 424203, state.Config{TimeoutMs: 50})
	if _, f := closed.validate(tok); f != failUnchecked {
		t.Fatalf("fail closed: %+v", f)
	}
	open := sharedBackend(t, testutil.SilentServer(t), 424204, state.Config{TimeoutMs: 50, Revocation: state.FailOpen})
	if _, f := open.validate(tok); f != nil {
		t.Fatalf("fail open: %+v", f)
	}
	if n, err := Revoke([]byte("424204\x00j2")); n != 1 || err == nil {
		t.Fatalf("Revoke with Redis hung = %d, %v; want an error", n, err)
	}
	// Known locally all the same: this process refuses it.
	if _, f := open.validate(tokenWithJTI(t, "j2")); f != failRevoked {
		t.Fatalf("locally revoked: %+v", f)
	}
	if open.revoked.shared.st.Failures(state.Revocation) != 2 {
		t.Fatalf("failures %d, want 2", open.revoked.shared.st.Failures(state.Revocation))
	}
}

func TestSharedRevocationNeedsAStore(t *testing.T) {
	t.Parallel()
	backends, err := CompileBackends([]BackendConfig{{Type: "jwt", Secret: testSecret, RevocationID: 424205,
		RevocationShared: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer backends.Release()
	if err := backends.ShareRevocations(nil); err == nil {
		t.Fatal("a shared revocation store without STATE was accepted")
	}
}
