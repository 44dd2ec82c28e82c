package state

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Broker carries WebSocket group broadcasts between processes and hosts over Redis
// pub/sub; it is the websocket.Broker of a server with DJANGO_BOLT["STATE"] set (the
// method set matches that interface; this package does not import websocket).
//
// Delivery: the hub delivers a broadcast to its own members at once, then Publish queues it
// for Redis. Every process (the publisher included) receives it back from the one
// subscription; each message carries the publishing Broker's random origin id and a
// process drops its own, so every member on every process gets it exactly once, and local
// members keep getting broadcasts while Redis is away.
//
// One channel per store ("bolt:ws:<db>"; pub/sub ignores the database number, so the
// number is in the name) carries every group: a process subscribes once, and Join/Leave
// never talk to Redis. The cost is that every process receives every broadcast, members
// or not; the hub drops a broadcast for a group it has no members of.
//
// Failure mode: Publish never blocks (Python's thread calls it). Messages wait in a bounded
// queue (brokerQueue messages, brokerQueueBytes) for one publisher goroutine that sends them pipelined with the store's deadline; a
// full queue or a failed PUBLISH drops the message for the other processes (counted in
// bolt_state_failures_total{feature="ws_groups"} and logged at most once per LogInterval
// by Failed). The subscriber reconnects and resubscribes by itself when Redis returns; it
// pings an idle subscription so that a silently dead connection is noticed too.
type Broker struct {
	st      *Store
	channel string
	origin  [8]byte
	queue   chan []byte
	queued  atomic.Int64 // bytes in queue
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	started atomic.Bool
	idle    time.Duration // brokerIdle; tests shorten it
	subMu   sync.Mutex
	sub     *redis.PubSub // the current subscription; Close closes it to end a blocked read

	published atomic.Uint64 // messages PUBLISHed
	received  atomic.Uint64 // messages from other processes delivered to the hub
	dropped   atomic.Uint64 // messages not published (queue full or PUBLISH failed)
}

// WSGroups is the feature name of the broker's failures.
const WSGroups Feature = "ws_groups"

// brokerQueue bounds the broadcasts waiting for Redis: a burst that big is already more
// than an outage should hold in memory.
const brokerQueue = 4096

// brokerQueueBytes bounds the same queue in bytes (4,096 messages of WS_MAX_MESSAGE_SIZE
// would be 4 GiB).
const brokerQueueBytes = 64 << 20

// brokerBatch is the most queued broadcasts sent in one pipelined round trip.
const brokerBatch = 256

// brokerIdle is how long the subscription may be silent before the broker pings it; a ping
// unanswered for another brokerIdle means the connection is dead and is replaced.
const brokerIdle = 5 * time.Second

// brokerRetry is the pause after a failed receive (Redis down), so a dead Redis is not
// dialled in a busy loop.
const brokerRetry = 200 * time.Millisecond

// message layout: version(1) origin(8) op(1) len(group) as uvarint, group, data.
const brokerVersion = 1

// NewBroker returns the store's group broker. Start it with Subscribe; Close stops it.
func (s *Store) NewBroker() (*Broker, error) {
	b := &Broker{st: s, channel: "bolt:ws:" + strconv.Itoa(s.client.Options().DB),
		queue: make(chan []byte, brokerQueue), idle: brokerIdle}
	if _, err := rand.Read(b.origin[:]); err != nil {
		return nil, err
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	s.counter(WSGroups) // listed in the metrics from the start
	s.mu.Lock()
	s.broker = b
	s.mu.Unlock()
	return b, nil
}

// Channel is the pub/sub channel the broker uses.
func (b *Broker) Channel() string { return b.channel }

// Publish queues a broadcast for the other processes; it never blocks. data is not
// copied: the hub hands over a copy that nobody modifies.
func (b *Broker) Publish(group string, op uint8, data []byte) error {
	msg := make([]byte, 0, 1+8+1+binary.MaxVarintLen64+len(group)+len(data))
	msg = append(msg, brokerVersion)
	msg = append(msg, b.origin[:]...)
	msg = append(msg, op)
	msg = binary.AppendUvarint(msg, uint64(len(group)))
	msg = append(msg, group...)
	msg = append(msg, data...)
	if b.queued.Add(int64(len(msg))) <= brokerQueueBytes {
		select {
		case b.queue <- msg:
			return nil
		default:
		}
	}
	b.queued.Add(-int64(len(msg)))
	b.dropped.Add(1)
	err := errors.New("publish queue full (Redis slow or away)")
	b.st.Failed(WSGroups, err)
	return err
}

// Subscribe starts the publisher and the subscriber; deliver gets every broadcast of the
// other processes, in the order each process published them.
func (b *Broker) Subscribe(deliver func(group string, op uint8, data []byte)) error {
	if !b.started.CompareAndSwap(false, true) {
		return errors.New("state: broker already subscribed")
	}
	b.wg.Add(2)
	go b.publishLoop()
	go b.subscribeLoop(deliver)
	return nil
}

// Close stops both goroutines; queued broadcasts not yet sent are dropped.
func (b *Broker) Close() error {
	if b == nil {
		return nil
	}
	b.cancel()
	// The subscriber may sit in a read of up to brokerIdle: closing its connection ends it
	// now, so a server stops without waiting for that.
	b.subMu.Lock()
	if b.sub != nil {
		_ = b.sub.Close()
	}
	b.subMu.Unlock()
	b.wg.Wait()
	return nil
}

// subscribe replaces the subscription (closing old, when not nil); nil once Close began.
func (b *Broker) subscribe(old *redis.PubSub) *redis.PubSub {
	if old != nil {
		_ = old.Close()
	}
	b.subMu.Lock()
	defer b.subMu.Unlock()
	if b.ctx.Err() != nil {
		b.sub = nil
		return nil
	}
	b.sub = b.st.client.Subscribe(b.ctx, b.channel)
	return b.sub
}

func (b *Broker) publishLoop() {
	defer b.wg.Done()
	batch := make([][]byte, 0, brokerBatch)
	for {
		select {
		case <-b.ctx.Done():
			return
		case m := <-b.queue:
			batch = append(batch[:0], m)
		}
		// Speed: what queued meanwhile leaves in the same round trip.
	more:
		for len(batch) < brokerBatch {
			select {
			case m := <-b.queue:
				batch = append(batch, m)
			default:
				break more
			}
		}
		b.send(batch)
		for i, m := range batch {
			b.queued.Add(-int64(len(m)))
			batch[i] = nil
		}
	}
}

func (b *Broker) send(batch [][]byte) {
	ctx, cancel := context.WithTimeout(b.ctx, b.st.timeout)
	defer cancel()
	_, err := b.st.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, m := range batch {
			p.Publish(ctx, b.channel, m)
		}
		return nil
	})
	if err != nil {
		b.dropped.Add(uint64(len(batch)))
		if b.ctx.Err() == nil {
			b.st.Failed(WSGroups, fmt.Errorf("publish: %w", err))
		}
		return
	}
	b.published.Add(uint64(len(batch)))
}

func (b *Broker) subscribeLoop(deliver func(group string, op uint8, data []byte)) {
	defer b.wg.Done()
	sub := b.subscribe(nil)
	if sub == nil {
		return
	}
	defer func() {
		if sub != nil {
			_ = sub.Close()
		}
	}()
	pinged, failing := false, false
	for b.ctx.Err() == nil {
		v, err := sub.ReceiveTimeout(b.ctx, b.idle)
		if err != nil {
			if b.ctx.Err() != nil {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && !pinged {
				// Idle: ask for a pong, answered within the next b.idle if alive.
				ctx, cancel := context.WithTimeout(b.ctx, b.st.timeout)
				err = sub.Ping(ctx)
				cancel()
				if err == nil {
					pinged = true
					continue
				}
			}
			if errors.As(err, &ne) && ne.Timeout() {
				// No pong: the connection is dead without having said so. A new
				// subscription dials again (and subscribes) on its next receive.
				if sub = b.subscribe(sub); sub == nil {
					return
				}
			}
			pinged, failing = false, true
			b.st.Failed(WSGroups, fmt.Errorf("subscription: %w", err))
			select {
			case <-b.ctx.Done():
				return
			case <-time.After(brokerRetry):
			}
			continue
		}
		pinged = false
		switch m := v.(type) {
		case *redis.Subscription:
			if failing {
				failing = false
				logger.Printf("state: %s: subscribed to %s again; broadcasts from other processes resume", WSGroups, b.channel)
			}
		case *redis.Message:
			b.receive(m.Payload, deliver)
		}
	}
}

func (b *Broker) receive(payload string, deliver func(group string, op uint8, data []byte)) {
	p := []byte(payload)
	if len(p) < 10 || p[0] != brokerVersion {
		b.st.Failed(WSGroups, errors.New("malformed broadcast on "+b.channel))
		return
	}
	if [8]byte(p[1:9]) == b.origin {
		return // ours: the hub delivered it locally when it was published
	}
	op := p[9]
	n, k := binary.Uvarint(p[10:])
	if k <= 0 || n > uint64(len(p)-10-k) {
		b.st.Failed(WSGroups, errors.New("malformed broadcast on "+b.channel))
		return
	}
	start := 10 + k
	group := string(p[start : start+int(n)])
	b.received.Add(1)
	deliver(group, op, p[start+int(n):])
}

// writeMetrics writes the broker's counters.
func (b *Broker) writeMetrics(w io.Writer) {
	fmt.Fprintf(w, "bolt_ws_broker_published_total %d\n", b.published.Load())
	fmt.Fprintf(w, "bolt_ws_broker_received_total %d\n", b.received.Load())
	fmt.Fprintf(w, "bolt_ws_broker_dropped_total %d\n", b.dropped.Load())
}
