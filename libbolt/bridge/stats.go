package bridge

import (
	"math/bits"
	"sync/atomic"
)

// BatchBuckets is how many batch-size buckets Stats keeps: sizes up to 1, 2, 4, ... 2^(n-2)
// records, and a last bucket for anything larger.
const BatchBuckets = 12

// Stats counts what crosses the bridge, for /metrics. Poll updates it with a few atomic
// adds per batch (never per request); a scrape reads it.
type Stats struct {
	Polls   atomic.Uint64 // Poll calls that handed Python at least one record
	Records atomic.Uint64 // records handed over (requests and cancels)
	// Batches[i] counts polls of at most 2^i records (the last bucket: any larger).
	Batches [BatchBuckets]atomic.Uint64
	// Chunks of detached streams written from bolt_respond (stream_direct.go), and those
	// left to the stream's writer goroutine (something was pending, or the socket did not
	// take the chunk at once).
	StreamDirect atomic.Uint64
	StreamQueued atomic.Uint64
}

func (st *Stats) observe(records int) {
	st.Polls.Add(1)
	st.Records.Add(uint64(records))
	i := bits.Len(uint(records - 1)) // smallest i with records <= 2^i
	st.Batches[min(i, BatchBuckets-1)].Add(1)
}

// Stats returns the bridge's counters.
func (b *Bridge) Stats() *Stats { return &b.stats }

// QueueDepth returns how many records wait for Python's next poll.
func (b *Bridge) QueueDepth() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue)
}
