package testutil

import (
	"net"
	"os"
	"sync"
	"testing"
)

// RedisURL is the throwaway Redis of tests/redis/run.sh (REDIS_URL). Without it the test
// skips, except under CI=true, where a missing Redis fails the test: a skip there would be
// counted as a pass.
func RedisURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("REDIS_URL")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("REDIS_URL is not set and CI=true requires the Redis tests (tests/redis/run.sh)")
		}
		t.Skip("REDIS_URL is not set (tests/redis/run.sh starts a throwaway Redis)")
	}
	return u
}

// SilentServer accepts TCP connections on loopback and never answers: a Redis that hangs.
// It returns the redis:// URL; the listener and connections close with the test.
func SilentServer(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	})
	return "redis://" + ln.Addr().String() + "/0"
}

// ClosedPort is a redis:// URL where nothing listens: a Redis that is down.
func ClosedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return "redis://" + addr + "/0"
}
