// Package websocket runs the WebSocket connections of WebSocket routes: frames are read
// and written here (github.com/fasthttp/websocket), messages cross to Python as bridge
// records (bridge/socket.go), and groups fan a broadcast out to their members without a
// Python step per recipient. See docs/websockets.md.
package websocket

import (
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	fws "github.com/fasthttp/websocket"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
)

// Config holds the limits of every socket of a server.
type Config struct {
	MaxConnections    int           // open sockets per process; more are refused 503
	MaxMessageSize    int64         // a bigger message closes the socket with 1009
	HeartbeatInterval time.Duration // Go pings an idle peer this often (0: never)
	ClientTimeout     time.Duration // a peer silent this long is dropped (0: never)
	WriteTimeout      time.Duration // per frame written
	// Now is the clock of the heartbeat (tests inject one); nil: time.Now.
	Now func() time.Time
}

// Broker carries broadcasts between processes (Redis pub/sub: state.Broker, set by the
// server when DJANGO_BOLT["STATE"] is): Publish sends a broadcast to the other processes
// and must not block (Python's thread calls it); the hub calls Subscribe once with the
// function that delivers a remote broadcast to the local members. The hub delivers its
// own broadcasts locally itself, so a broker must not hand them back.
type Broker interface {
	Publish(group string, op uint8, data []byte) error
	Subscribe(deliver func(group string, op uint8, data []byte)) error
}

// Stats are the counters behind the bolt_ws_* metrics.
type Stats struct {
	Open        atomic.Int64
	MessagesIn  atomic.Uint64
	MessagesOut atomic.Uint64
	BytesIn     atomic.Uint64
	BytesOut    atomic.Uint64
	Pings       atomic.Uint64
	closesMu    sync.Mutex
	closes      map[uint16]uint64
}

func (st *Stats) closed(code uint16) {
	st.closesMu.Lock()
	if st.closes == nil {
		st.closes = map[uint16]uint64{}
	}
	st.closes[code]++
	st.closesMu.Unlock()
}

// Closes returns a copy of the close counts by code.
func (st *Stats) Closes() map[uint16]uint64 {
	st.closesMu.Lock()
	defer st.closesMu.Unlock()
	out := make(map[uint16]uint64, len(st.closes))
	for k, v := range st.closes {
		out[k] = v
	}
	return out
}

// Hub knows every open socket of a server (for the connection cap, the heartbeat and
// shutdown) and the groups.
type Hub struct {
	cfg      Config
	reserved atomic.Int64 // sockets admitted (upgrading or open)
	mu       sync.Mutex
	conns    map[*Conn]struct{}
	groups   map[string]map[uint64]*bridge.Outbox
	member   map[uint64][]string // socket id -> its groups, to leave them all at the end
	broker   Broker
	stop     chan struct{}
	stopOnce sync.Once
	// closing is CloseAll's code once it ran: a socket that opens afterwards is closed
	// with it at once.
	closing atomic.Uint32
	// writers write the plain sockets (writer.go); compressing counts the open sockets
	// that negotiated permessage-deflate (a broadcast prepares its compressed form only
	// when there are some).
	writers     *writers
	compressing atomic.Int64
	Stats       Stats
}

// NewHub returns a hub; Run starts its heartbeat.
func NewHub(cfg Config) *Hub {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Hub{cfg: cfg, conns: map[*Conn]struct{}{}, groups: map[string]map[uint64]*bridge.Outbox{},
		member: map[uint64][]string{}, stop: make(chan struct{}), writers: newWriters()}
}

// SetBroker makes broadcasts reach the other processes through br.
func (h *Hub) SetBroker(br Broker) error {
	h.broker = br
	return br.Subscribe(h.fanOut)
}

// Reserve admits one more socket, or reports that the cap is reached. Every successful
// Reserve is matched by one Unreserve (Serve does it when the socket ends).
func (h *Hub) Reserve() bool {
	if h.reserved.Add(1) > int64(h.cfg.MaxConnections) {
		h.reserved.Add(-1)
		return false
	}
	return true
}

// Unreserve gives back a Reserve whose socket never opened.
func (h *Hub) Unreserve() { h.reserved.Add(-1) }

// Run pings and times out peers every interval until Stop (no-op without a heartbeat).
func (h *Hub) Run() {
	iv := h.cfg.HeartbeatInterval
	if iv <= 0 {
		return
	}
	go func() {
		// Half the interval, so that a ping is never more than 1.5 intervals late.
		t := time.NewTicker(iv / 2)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				h.Tick(h.cfg.Now())
			case <-h.stop:
				return
			}
		}
	}()
}

// Stop ends the heartbeat and the writers.
func (h *Hub) Stop() {
	h.stopOnce.Do(func() {
		close(h.stop)
		close(h.writers.stop)
	})
}

// Tick runs one heartbeat round at now: a peer silent for ClientTimeout is dropped (the
// handler sees 1006), one silent for HeartbeatInterval is pinged. A socket whose reader
// is paused by flow control (the handler is behind) is not timed: its pongs are unread.
func (h *Hub) Tick(now time.Time) {
	h.mu.Lock()
	conns := make([]*Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	nowNs := now.UnixNano()
	for _, c := range conns {
		if c.paused.Load() {
			continue
		}
		idle := time.Duration(nowNs - c.lastSeen.Load())
		switch {
		case h.cfg.ClientTimeout > 0 && idle >= h.cfg.ClientTimeout:
			c.end(1006, false)
		case idle >= h.cfg.HeartbeatInterval && time.Duration(nowNs-c.lastPing.Load()) >= h.cfg.HeartbeatInterval:
			c.lastPing.Store(nowNs)
			c.out.Push(bridge.OutMsg{Op: bridge.OpPing})
		}
	}
}

// CloseAll closes every open socket with code (1012 at shutdown) and waits up to wait for
// their connections to end; it returns how many were open.
func (h *Hub) CloseAll(code uint16, wait time.Duration) int {
	h.closing.Store(uint32(code))
	h.mu.Lock()
	conns := make([]*Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.end(code, true)
	}
	deadline := time.Now().Add(wait)
	for _, c := range conns {
		select {
		case <-c.done:
		case <-time.After(time.Until(deadline)):
			return len(conns)
		}
	}
	return len(conns)
}

// OpenCount is the number of open sockets.
func (h *Hub) OpenCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

func (h *Hub) add(c *Conn) {
	h.mu.Lock()
	h.conns[c] = struct{}{}
	h.mu.Unlock()
	h.Stats.Open.Add(1)
}

func (h *Hub) remove(c *Conn) {
	h.mu.Lock()
	delete(h.conns, c)
	for _, g := range h.member[c.id] {
		h.leaveLocked(g, c.id)
	}
	delete(h.member, c.id)
	h.mu.Unlock()
	h.Stats.Open.Add(-1)
	h.reserved.Add(-1)
}

// Join adds socket id (whose outbox is o) to group.
func (h *Hub) Join(group string, id uint64, o *bridge.Outbox) {
	h.mu.Lock()
	defer h.mu.Unlock()
	members := h.groups[group]
	if members == nil {
		members = map[uint64]*bridge.Outbox{}
		h.groups[group] = members
	}
	if _, ok := members[id]; ok {
		return
	}
	members[id] = o
	h.member[id] = append(h.member[id], group)
}

// Leave removes socket id from group.
func (h *Hub) Leave(group string, id uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.leaveLocked(group, id)
	gs := h.member[id]
	for i, g := range gs {
		if g == group {
			h.member[id] = append(gs[:i], gs[i+1:]...)
			break
		}
	}
}

func (h *Hub) leaveLocked(group string, id uint64) {
	if members := h.groups[group]; members != nil {
		delete(members, id)
		if len(members) == 0 {
			delete(h.groups, group)
		}
	}
}

// Broadcast sends data to every member of group in this process and, with a broker, in
// the others. data is copied once and shared by every member's outbox.
func (h *Hub) Broadcast(group string, op uint8, data []byte) {
	msg := append([]byte(nil), data...)
	h.fanOut(group, op, msg)
	if h.broker != nil {
		_ = h.broker.Publish(group, op, msg)
	}
}

// fanOut queues msg for each local member. The frame is encoded once here, and shared by
// every member's queue (and, with compressing members, compressed once: a prepared
// message); each member costs a push onto its outbox and, when the member was idle, onto
// its writer's queue (writer.go). A member whose shared backlog is full is closed with
// 1013 (try again later) instead of being buffered without bound.
func (h *Hub) fanOut(group string, op uint8, msg []byte) {
	m := bridge.OutMsg{Op: op, Data: msg, Frame: appendFrame(make([]byte, 0, maxHeader+len(msg)), op, msg)}
	if h.compressing.Load() > 0 {
		if pm, err := fws.NewPreparedMessage(int(op), msg); err == nil {
			m.Prepared = pm
		}
	}
	h.mu.Lock()
	members := h.groups[group]
	outs := make([]*bridge.Outbox, 0, len(members))
	for _, o := range members {
		outs = append(outs, o)
	}
	h.mu.Unlock()
	for _, o := range outs {
		if !o.Push(m) {
			o.Overflow()
		}
	}
}

// Members is the number of local members of group.
func (h *Hub) Members(group string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.groups[group])
}

// WritePrometheus writes the bolt_ws_* series: open sockets, messages and bytes each way,
// and closes by code (a handful of codes, so the series stay few).
func (h *Hub) WritePrometheus(w io.Writer) {
	st := &h.Stats
	fmt.Fprintf(w, "bolt_ws_open_connections %d\n", st.Open.Load())
	fmt.Fprintf(w, "bolt_ws_messages_in_total %d\n", st.MessagesIn.Load())
	fmt.Fprintf(w, "bolt_ws_messages_out_total %d\n", st.MessagesOut.Load())
	fmt.Fprintf(w, "bolt_ws_bytes_in_total %d\n", st.BytesIn.Load())
	fmt.Fprintf(w, "bolt_ws_bytes_out_total %d\n", st.BytesOut.Load())
	closes := st.Closes()
	codes := make([]int, 0, len(closes))
	for c := range closes {
		codes = append(codes, int(c))
	}
	sort.Ints(codes)
	for _, c := range codes {
		fmt.Fprintf(w, "bolt_ws_closes_total{code=\"%d\"} %d\n", c, closes[uint16(c)])
	}
}
