package ratelimit

import (
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/testutil"
	"github.com/django-bolt-go/django-bolt-go/libbolt/state"
)

// BenchmarkSharedTake: one limited request's Redis round trip, from many goroutines at once
// (as many connections would), against the in-process store.
func BenchmarkSharedTake(b *testing.B) {
	url := testutil.RedisURL(b)
	st, err := state.Open(&state.Config{URL: url, TimeoutMs: 5000})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	stores := map[string]Store{
		"local":              NewBucketStore(0),
		"redis":              &SharedStore{st: st, scripter: st.Client()},
		"redis-autopipeline": NewSharedStore(st), // what the server uses
	}
	for _, name := range []string{"local", "redis", "redis-autopipeline"} {
		store := stores[name]
		b.Run(name, func(b *testing.B) {
			var n atomic.Int64
			before := cpuTime()
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				key := []byte("bench|ip|" + strconv.FormatInt(n.Add(1), 10))
				for pb.Next() {
					store.Take(key, 1e9, 1e9, time.Now())
				}
			})
			b.ReportMetric(float64(cpuTime()-before)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is this process's user + system CPU time in nanoseconds: the client's cost per
// call, which wall time per op (many calls in flight) does not show.
func cpuTime() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
