package websocket

import (
	"context"
	"strings"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/testutil"
	"github.com/django-bolt-go/django-bolt-go/libbolt/state"
)

// redisBroker opens a store on url (its own client, as another process would have) and
// makes it r's broker.
func redisBroker(t *testing.T, r *rig, url string) *state.Store {
	t.Helper()
	st, err := state.Open(&state.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	br, err := st.NewBroker()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.hub.SetBroker(br); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestRedisBrokerFansOutAcrossHubs: two hubs (two processes) with real Redis brokers;
// members on both hear one broadcast exactly once, whichever hub sends it.
func TestRedisBrokerFansOutAcrossHubs(t *testing.T) {
	url := testutil.RedisURL(t)
	// Database 12: its own channel (bolt:ws:12), apart from other packages' tests.
	url = url[:strings.LastIndex(url, "/")+1] + "12"
	one, two := newRig(t, Config{}), newRig(t, Config{})
	st := redisBroker(t, one, url)
	redisBroker(t, two, url)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n, err := st.Client().PubSubNumSub(context.Background(), "bolt:ws:12").Result()
		if err == nil && n["bolt:ws:12"] >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the brokers never subscribed")
		}
	}
	a1, s1 := one.dial()
	a2, s2 := one.dial()
	b1, s3 := two.dial()
	for _, j := range []struct {
		r *rig
		s *bridge.Slot
	}{{one, s1}, {one, s2}, {two, s3}} {
		j.r.respond(&bridge.Response{ID: j.s.ID(), Kind: bridge.KindSocketJoin, Body: []byte("chat")})
	}
	read := func(c *fws.Conn, want string) {
		t.Helper()
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, data, err := c.ReadMessage(); err != nil || string(data) != want {
			t.Fatalf("read %q %v, want %q", data, err, want)
		}
	}
	// Each broadcast is followed by the next one: a duplicate would be read in its place.
	for i, from := range []*rig{one, two, one} {
		msg := []string{"first", "second", "third"}[i]
		from.respond(&bridge.Response{Kind: bridge.KindSocketBroadcast, ContentType: bridge.SocketText, Headers: []byte("chat"), Body: []byte(msg)})
		for _, c := range []*fws.Conn{a1, a2, b1} {
			read(c, msg)
		}
	}
}

// TestRedisAwayLocalDeliveryContinues: with Redis unreachable a broadcast still reaches the
// local members at once, and the failure is counted.
func TestRedisAwayLocalDeliveryContinues(t *testing.T) {
	one := newRig(t, Config{})
	st := redisBroker(t, one, testutil.ClosedPort(t))
	a, s := one.dial()
	one.respond(&bridge.Response{ID: s.ID(), Kind: bridge.KindSocketJoin, Body: []byte("g")})
	one.respond(&bridge.Response{Kind: bridge.KindSocketBroadcast, ContentType: bridge.SocketText, Headers: []byte("g"), Body: []byte("still here")})
	_ = a.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, data, err := a.ReadMessage(); err != nil || string(data) != "still here" {
		t.Fatalf("read %q %v", data, err)
	}
	for deadline := time.Now().Add(10 * time.Second); st.Failures(state.WSGroups) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no failure counted")
		}
	}
}
