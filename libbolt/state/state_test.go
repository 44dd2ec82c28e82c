package state

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/testutil"
)

func open(t *testing.T, c Config) *Store {
	t.Helper()
	st, err := Open(&c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func TestOpenValidates(t *testing.T) {
	t.Parallel()
	for _, c := range []Config{
		{URL: "http://localhost:6379"},
		{URL: "redis://localhost:6379", RateLimit: "sometimes"},
		{URL: "redis://localhost:6379", Revocation: "maybe"},
		{URL: "redis://localhost:6379", TimeoutMs: -1},
	} {
		if st, err := Open(&c); err == nil {
			_ = st.Close()
			t.Errorf("Open(%+v) accepted", c)
		}
	}
	_, err := Open(&Config{URL: "redis://user:hunter2@localhost:6379/notanumber"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v: want an error without the password", err)
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c := open(t, Config{URL: "redis://127.0.0.1:1/0"}).Config()
	if c.TimeoutMs != 250 || c.RateLimit != FailOpen || c.Revocation != FailClosed || c.RevocationCacheMs != 1000 {
		t.Fatalf("defaults %+v", c)
	}
}

// TestPublishSubscribe: the helpers the WebSocket groups use reach another client.
func TestPublishSubscribe(t *testing.T) {
	t.Parallel()
	url := testutil.RedisURL(t)
	a, b := open(t, Config{URL: url}), open(t, Config{URL: url})
	channel := "bolt:test:" + strconv.FormatInt(time.Now().UnixNano(), 10)
	sub := b.Subscribe(context.Background(), channel)
	defer sub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := sub.Receive(ctx); err != nil { // the subscription confirmation
		t.Fatal(err)
	}
	pctx, pcancel := a.Context()
	defer pcancel()
	if err := a.Publish(pctx, channel, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.ReceiveMessage(ctx)
	if err != nil || msg.Payload != "hello" {
		t.Fatalf("received %v, %v", msg, err)
	}
	if err := a.Ping(); err != nil {
		t.Fatal(err)
	}
}

// TestHungRedisTimesOut: a Redis that accepts and never answers costs one timeout, and
// the failure is counted and logged once.
func TestHungRedisTimesOut(t *testing.T) {
	t.Parallel()
	st := open(t, Config{URL: testutil.SilentServer(t), TimeoutMs: 50})
	if err := st.Ping(); err == nil {
		t.Fatal("ping of a silent server succeeded")
	}
	var out bytes.Buffer
	st.WriteMetrics(&out)
	if !strings.Contains(out.String(), `bolt_state_failures_total{feature="rate_limit"} 0`) {
		t.Fatalf("metrics:\n%s", out.String())
	}
	st.Failed(RateLimit, context.DeadlineExceeded)
	st.Failed(RateLimit, context.DeadlineExceeded)
	out.Reset()
	st.WriteMetrics(&out)
	if !strings.Contains(out.String(), `bolt_state_failures_total{feature="rate_limit"} 2`) {
		t.Fatalf("metrics:\n%s", out.String())
	}
}

func TestDownRedisFailsFast(t *testing.T) {
	t.Parallel()
	st := open(t, Config{URL: testutil.ClosedPort(t)})
	if err := st.Ping(); err == nil {
		t.Fatal("ping of a closed port succeeded")
	}
}
