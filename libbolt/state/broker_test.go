package state

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/testutil"
)

type delivery struct {
	group string
	op    uint8
	data  string
}

type collector struct {
	mu  sync.Mutex
	got []delivery
}

func (c *collector) deliver(group string, op uint8, data []byte) {
	c.mu.Lock()
	c.got = append(c.got, delivery{group, op, string(data)})
	c.mu.Unlock()
}

func (c *collector) ofGroup(group string) []delivery {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []delivery
	for _, d := range c.got {
		if d.group == group {
			out = append(out, d)
		}
	}
	return out
}

// withDB points a redis:// URL at another database: pub/sub channels carry the number,
// so tests of different packages sharing one Redis do not hear each other's broadcasts.
func withDB(url, db string) string {
	if i := strings.LastIndex(url, "/"); i > len("redis://") {
		return url[:i+1] + db
	}
	return url + "/" + db
}

// waitSubscribers waits until channel has want subscribers.
func waitSubscribers(t *testing.T, st *Store, channel string, want int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		n, err := st.Client().PubSubNumSub(context.Background(), channel).Result()
		if err == nil && n[channel] >= want {
			return
		}
	}
	t.Fatalf("channel %s never had %d subscribers", channel, want)
}

func subscribed(t *testing.T, st *Store) (*Broker, *collector) {
	t.Helper()
	b, err := st.NewBroker()
	if err != nil {
		t.Fatal(err)
	}
	c := &collector{}
	if err := b.Subscribe(c.deliver); err != nil {
		t.Fatal(err)
	}
	if b.Subscribe(c.deliver) == nil {
		t.Fatal("a second Subscribe was accepted")
	}
	return b, c
}

// TestBrokerCrossesProcesses: what one broker publishes reaches the other broker exactly
// once and never comes back to the publisher (its hub delivered it already).
func TestBrokerCrossesProcesses(t *testing.T) {
	t.Parallel()
	url := withDB(testutil.RedisURL(t), "13")
	a, b := open(t, Config{URL: url}), open(t, Config{URL: url})
	ba, ca := subscribed(t, a)
	bb, cb := subscribed(t, b)
	if ba.Channel() != "bolt:ws:13" {
		t.Fatalf("channel %q", ba.Channel())
	}
	waitSubscribers(t, a, ba.Channel(), 2)
	group := "room:" + t.Name()
	for _, m := range []string{"one", "two", ""} {
		if err := ba.Publish(group, 1, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	if err := bb.Publish(group, 2, []byte("back")); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if len(cb.ofGroup(group)) >= 3 && len(ca.ofGroup(group)) >= 1 {
			break
		}
	}
	time.Sleep(100 * time.Millisecond) // time for a duplicate to show, if there were one
	want := []delivery{{group, 1, "one"}, {group, 1, "two"}, {group, 1, ""}}
	if got := cb.ofGroup(group); len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("b received %v, want %v", got, want)
	}
	if got := ca.ofGroup(group); len(got) != 1 || got[0] != (delivery{group, 2, "back"}) {
		t.Fatalf("a received %v", got)
	}
	var out bytes.Buffer
	a.WriteMetrics(&out)
	for _, s := range []string{`bolt_state_failures_total{feature="ws_groups"} 0`, "bolt_ws_broker_published_total 3", "bolt_ws_broker_received_total 1"} {
		if !strings.Contains(out.String(), s) {
			t.Fatalf("metrics lack %q:\n%s", s, out.String())
		}
	}
}

// TestBrokerWithoutRedis: with Redis down, Publish still returns at once, the failures are
// counted, and Close does not hang.
func TestBrokerWithoutRedis(t *testing.T) {
	t.Parallel()
	st := open(t, Config{URL: testutil.ClosedPort(t), TimeoutMs: 50})
	b, _ := subscribed(t, st)
	start := time.Now()
	for range brokerQueue + 10 {
		_ = b.Publish("g", 1, []byte("x"))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("publishing without Redis blocked for %s", d)
	}
	for deadline := time.Now().Add(10 * time.Second); st.Failures(WSGroups) == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if st.Failures(WSGroups) == 0 {
		t.Fatal("no failure counted")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestBrokerIgnoresMalformed: a foreign or broken message on the channel is counted and
// dropped.
func TestBrokerIgnoresMalformed(t *testing.T) {
	t.Parallel()
	st := open(t, Config{URL: testutil.ClosedPort(t)})
	b, c := subscribed(t, st)
	for _, p := range []string{"", "x", "\x01abcdefgh\x01\x7fg", "\x02abcdefgh\x01\x01g"} {
		b.receive(p, c.deliver)
	}
	if len(c.got) != 0 || st.Failures(WSGroups) < 4 {
		t.Fatalf("delivered %v, failures %d", c.got, st.Failures(WSGroups))
	}
}

// TestBrokerReplacesASilentSubscription: a Redis that accepts and never answers (a dead
// connection that did not say so) is noticed by the idle ping, counted, and replaced; Close
// still returns at once.
func TestBrokerReplacesASilentSubscription(t *testing.T) {
	t.Parallel()
	st := open(t, Config{URL: testutil.SilentServer(t), TimeoutMs: 50})
	b, err := st.NewBroker()
	if err != nil {
		t.Fatal(err)
	}
	b.idle = 20 * time.Millisecond
	if err := b.Subscribe(func(string, uint8, []byte) {}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); st.Failures(WSGroups) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("failures %d: the silent subscription was not noticed", st.Failures(WSGroups))
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestBrokerQueueBoundedInBytes: big broadcasts waiting for Redis stop being queued at
// brokerQueueBytes, long before brokerQueue messages.
func TestBrokerQueueBoundedInBytes(t *testing.T) {
	t.Parallel()
	st := open(t, Config{URL: testutil.ClosedPort(t)})
	b, err := st.NewBroker() // not subscribed: nothing drains the queue
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 1<<20)
	queued := 0
	for range 100 {
		if b.Publish("g", 2, big) == nil {
			queued++
		}
	}
	if queued != brokerQueueBytes/(1<<20)-1 || b.dropped.Load() != uint64(100-queued) {
		t.Fatalf("queued %d, dropped %d", queued, b.dropped.Load())
	}
}
