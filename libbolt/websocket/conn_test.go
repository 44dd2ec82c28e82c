package websocket

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
)

type nopWaker struct{}

func (nopWaker) Wake()  {}
func (nopWaker) Reset() {}

// rig is a bridge and hub behind a fasthttp server on an in-memory listener (or, with
// rigTCP, a loopback TCP one, whose sockets the hub's writers write without blocking);
// every upgrade is accepted at once, as Python's accept record would.
type rig struct {
	t     *testing.T
	b     *bridge.Bridge
	hub   *Hub
	ln    net.Listener
	dialf func() (net.Conn, error)
	slots chan *bridge.Slot
	clock atomic.Int64 // the hub's clock, nanoseconds
}

type rigOpt int

const (
	rigTCP      rigOpt = 1 << iota // a loopback TCP listener
	rigCompress                    // the upgrader offers permessage-deflate
)

func newRig(t *testing.T, cfg Config, opts ...rigOpt) *rig {
	var opt rigOpt
	for _, o := range opts {
		opt |= o
	}
	r := &rig{t: t, b: bridge.New(nopWaker{}, 64), slots: make(chan *bridge.Slot, 64)}
	if opt&rigTCP != 0 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		r.ln = ln
		r.dialf = func() (net.Conn, error) { return net.Dial("tcp", ln.Addr().String()) }
	} else {
		ln := fasthttputil.NewInmemoryListener()
		r.ln, r.dialf = ln, ln.Dial
	}
	r.clock.Store(time.Unix(1000, 0).UnixNano())
	cfg.Now = func() time.Time { return time.Unix(0, r.clock.Load()) }
	if cfg.MaxConnections == 0 {
		cfg.MaxConnections = 100
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 5 * time.Second
	}
	r.hub = NewHub(cfg)
	r.b.Groups = r.hub
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		slot, err := r.b.Acquire()
		if err != nil {
			t.Errorf("acquire: %v", err)
			return
		}
		r.respond(&bridge.Response{ID: slot.ID(), Kind: bridge.KindSocketAccept, Status: 101})
		up := fws.FastHTTPUpgrader{CheckOrigin: func(*fasthttp.RequestCtx) bool { return true },
			EnableCompression: opt&rigCompress != 0}
		if !r.hub.Reserve() {
			t.Error("reserve refused")
		}
		r.slots <- slot
		var tr Transport
		if up.Upgrade(ctx, func(ws *fws.Conn) { r.hub.Serve(ws, r.b, slot, tr) }) == nil {
			tr.Compressed = len(ctx.Response.Header.Peek("Sec-WebSocket-Extensions")) > 0
			if sc, ok := ctx.Conn().(syscall.Conn); ok {
				tr.Raw, _ = sc.SyscallConn()
			}
		}
	}}
	go func() { _ = srv.Serve(r.ln) }()
	t.Cleanup(func() { _ = r.ln.Close() })
	return r
}

func (r *rig) respond(resp *bridge.Response) {
	r.t.Helper()
	if refused, err := r.b.Respond(bridge.AppendResponse(nil, resp)); err != nil || refused != 0 {
		r.t.Fatalf("respond kind %d: refused %d, err %v", resp.Kind, refused, err)
	}
}

func (r *rig) dial() (*fws.Conn, *bridge.Slot) {
	return r.dialWith(fws.Dialer{})
}

func (r *rig) dialWith(d fws.Dialer) (*fws.Conn, *bridge.Slot) {
	r.t.Helper()
	d.NetDial = func(string, string) (net.Conn, error) { return r.dialf() }
	d.HandshakeTimeout = 5 * time.Second
	c, _, err := d.Dial("ws://test/ws", nil)
	if err != nil {
		r.t.Fatalf("dial: %v", err)
	}
	r.t.Cleanup(func() { _ = c.Close() })
	slot := <-r.slots
	// The server side registers the socket on its own goroutine after the handshake.
	deadline := time.Now().Add(5 * time.Second)
	for !r.hub.isOpen(slot.ID()) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	return c, slot
}

// poll waits until the bridge has records for Python and returns them decoded.
func (r *rig) poll(want int) []bridge.Request {
	r.t.Helper()
	var out []bridge.Request
	buf := make([]byte, 4<<20)
	deadline := time.Now().Add(5 * time.Second)
	for len(out) < want && time.Now().Before(deadline) {
		n := r.b.Poll(buf)
		for b := buf[:n]; len(b) > 0; {
			rec, m, err := bridge.DecodeRequest(b)
			if err != nil {
				r.t.Fatal(err)
			}
			rec.Body = append([]byte(nil), rec.Body...)
			out = append(out, rec)
			b = b[m:]
		}
		if len(out) < want {
			time.Sleep(2 * time.Millisecond)
		}
	}
	if len(out) < want {
		r.t.Fatalf("got %d records, want %d: %+v", len(out), want, out)
	}
	return out
}

func (r *rig) closedWith(want uint16) {
	r.t.Helper()
	recs := r.poll(1)
	last := recs[len(recs)-1]
	if last.Kind != bridge.KindSocketClosed || last.Flags != want {
		r.t.Fatalf("last record kind %d code %d, want closed %d (%+v)", last.Kind, last.Flags, want, recs)
	}
}

func expectClose(t *testing.T, c *fws.Conn, code int) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := c.ReadMessage()
		if err == nil {
			continue
		}
		if !fws.IsCloseError(err, code) {
			t.Fatalf("read error %v, want close %d", err, code)
		}
		return
	}
}

func TestMessagesBothWays(t *testing.T) {
	for _, opt := range []rigOpt{0, rigTCP} {
		t.Run(fmt.Sprint(opt), func(t *testing.T) {
			r := newRig(t, Config{MaxMessageSize: 1 << 20}, opt)
			c, slot := r.dial()
			if err := c.WriteMessage(fws.TextMessage, []byte("hello")); err != nil {
				t.Fatal(err)
			}
			if err := c.WriteMessage(fws.BinaryMessage, []byte{0, 1, 2}); err != nil {
				t.Fatal(err)
			}
			recs := r.poll(2)
			if recs[0].Kind != bridge.KindSocketMessage || recs[0].Flags != uint16(bridge.SocketText) || string(recs[0].Body) != "hello" {
				t.Fatalf("first record %+v", recs[0])
			}
			if recs[1].Flags != uint16(bridge.SocketBinary) || string(recs[1].Body) != "\x00\x01\x02" || recs[1].ID != slot.ID() {
				t.Fatalf("second record %+v", recs[1])
			}
			r.respond(&bridge.Response{ID: slot.ID(), Kind: bridge.KindSocketSend, ContentType: bridge.SocketText, Body: []byte("back")})
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			op, data, err := c.ReadMessage()
			if err != nil || op != fws.TextMessage || string(data) != "back" {
				t.Fatalf("read %d %q %v", op, data, err)
			}
			// The written message returns its credit.
			if cr := r.poll(1)[0]; cr.Kind != bridge.KindCredit || cr.Flags != 1 {
				t.Fatalf("credit record %+v", cr)
			}
			r.respond(&bridge.Response{ID: slot.ID(), Kind: bridge.KindSocketClose, Status: 4000, Body: []byte("done")})
			expectClose(t, c, 4000)
			_ = c.Close()
			r.closedWith(4000)
			// The slot is free again: a late send is refused.
			if refused, _ := r.b.Respond(bridge.AppendResponse(nil, &bridge.Response{ID: slot.ID(), Kind: bridge.KindSocketSend, ContentType: 1, Body: []byte("x")})); refused != 1 {
				t.Fatalf("late send refused %d, want 1", refused)
			}
		})
	}
}

func TestTooBigMessageCloses1009(t *testing.T) {
	r := newRig(t, Config{MaxMessageSize: 10})
	c, _ := r.dial()
	_ = c.WriteMessage(fws.TextMessage, []byte("01234567890"))
	expectClose(t, c, 1009)
	r.closedWith(1009)
}

func TestInvalidUTF8Closes1007(t *testing.T) {
	for _, opt := range []rigOpt{0, rigTCP} {
		t.Run(fmt.Sprint(opt), func(t *testing.T) {
			r := newRig(t, Config{}, opt)
			c, _ := r.dial()
			_ = c.WriteMessage(fws.TextMessage, []byte{0xff, 0xfe})
			expectClose(t, c, 1007)
			r.closedWith(1007)
		})
	}
}

func TestProtocolErrorCloses1002(t *testing.T) {
	r := newRig(t, Config{})
	c, _ := r.dial()
	// A close frame with a reserved code is a protocol error (RFC 6455 7.4.2).
	_ = c.WriteControl(fws.CloseMessage, []byte{0x03, 0xec}, time.Now().Add(time.Second)) // 1004
	expectClose(t, c, 1002)
	r.closedWith(1002)
}

func TestReadsPauseWhenPythonIsBehind(t *testing.T) {
	r := newRig(t, Config{})
	c, slot := r.dial()
	// The writes block once the server stops reading (the pipe pushes back): a goroutine.
	go func() {
		for i := range 3 * bridge.SocketWindow {
			if c.WriteMessage(fws.TextMessage, []byte(strings.Repeat("m", i+1))) != nil {
				return
			}
		}
	}()
	if got := len(r.poll(bridge.SocketWindow)); got != bridge.SocketWindow {
		t.Fatalf("got %d messages, want the window %d", got, bridge.SocketWindow)
	}
	time.Sleep(50 * time.Millisecond)
	if n := r.b.Poll(make([]byte, 1<<20)); n != 0 {
		t.Fatalf("Go read past the window: %d more bytes of records", n)
	}
	r.respond(&bridge.Response{ID: slot.ID(), Kind: bridge.KindSocketAck, Status: 5})
	if got := len(r.poll(5)); got != 5 {
		t.Fatalf("after an ack of 5 got %d", got)
	}
}

func TestSendWindowIsEnforced(t *testing.T) {
	o := bridge.NewOutbox()
	for i := range bridge.SocketWindow {
		if !o.Push(bridge.OutMsg{Op: bridge.SocketText, Data: []byte{byte(i)}, Credited: true}) {
			t.Fatalf("push %d refused", i)
		}
	}
	if o.Push(bridge.OutMsg{Op: bridge.SocketText, Credited: true}) {
		t.Fatal("a send beyond the window was queued")
	}
	for i := range bridge.MaxSharedBacklog {
		if !o.Push(bridge.OutMsg{Op: bridge.SocketText}) {
			t.Fatalf("shared push %d refused", i)
		}
	}
	if o.Push(bridge.OutMsg{Op: bridge.SocketText}) {
		t.Fatal("a broadcast beyond the backlog was queued")
	}
	if !o.Push(bridge.OutMsg{Op: bridge.OpClose, Code: 1000}) {
		t.Fatal("a close was refused")
	}
}

func TestHeartbeatPingsAndTimesOut(t *testing.T) {
	for _, opt := range []rigOpt{0, rigTCP} {
		t.Run(fmt.Sprint(opt), func(t *testing.T) {
			r := newRig(t, Config{HeartbeatInterval: 20 * time.Second, ClientTimeout: 60 * time.Second}, opt)
			c, _ := r.dial()
			var pings atomic.Int32
			c.SetPingHandler(func(string) error { pings.Add(1); return nil }) // no pong: a dead peer
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { // the client's reader runs the ping handler
				defer wg.Done()
				for {
					if _, _, err := c.ReadMessage(); err != nil {
						return
					}
				}
			}()
			start := r.clock.Load()
			r.hub.Tick(time.Unix(0, start+int64(10*time.Second)))
			r.hub.Tick(time.Unix(0, start+int64(21*time.Second)))
			deadline := time.Now().Add(5 * time.Second)
			for pings.Load() == 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if pings.Load() != 1 {
				t.Fatalf("pings %d after one interval, want 1", pings.Load())
			}
			r.hub.Tick(time.Unix(0, start+int64(61*time.Second)))
			wg.Wait() // the server dropped the connection
			r.closedWith(1006)
			if r.hub.OpenCount() != 0 {
				t.Fatalf("open sockets %d after the timeout", r.hub.OpenCount())
			}
		})
	}
}

func TestGroupsFanOut(t *testing.T) {
	for _, opt := range []rigOpt{0, rigTCP} {
		t.Run(fmt.Sprint(opt), func(t *testing.T) {
			r := newRig(t, Config{}, opt)
			a, sa := r.dial()
			b, sb := r.dial()
			r.respond(&bridge.Response{ID: sa.ID(), Kind: bridge.KindSocketJoin, Body: []byte("room")})
			r.respond(&bridge.Response{ID: sb.ID(), Kind: bridge.KindSocketJoin, Body: []byte("room")})
			if r.hub.Members("room") != 2 {
				t.Fatalf("members %d", r.hub.Members("room"))
			}
			r.respond(&bridge.Response{Kind: bridge.KindSocketBroadcast, ContentType: bridge.SocketText, Headers: []byte("room"), Body: []byte("hi all")})
			for _, c := range []*fws.Conn{a, b} {
				_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
				if _, data, err := c.ReadMessage(); err != nil || string(data) != "hi all" {
					t.Fatalf("member read %q %v", data, err)
				}
			}
			r.respond(&bridge.Response{ID: sb.ID(), Kind: bridge.KindSocketLeave, Body: []byte("room")})
			_ = a.Close() // a ends: it leaves its groups
			deadline := time.Now().Add(5 * time.Second)
			for r.hub.Members("room") != 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if r.hub.Members("room") != 0 {
				t.Fatalf("members %d after leave and close", r.hub.Members("room"))
			}
		})
	}
}

func TestCloseAllSends1012(t *testing.T) {
	for _, opt := range []rigOpt{0, rigTCP} {
		t.Run(fmt.Sprint(opt), func(t *testing.T) {
			r := newRig(t, Config{}, opt)
			c, _ := r.dial()
			go func() {
				if n := r.hub.CloseAll(1012, 5*time.Second); n != 1 {
					t.Errorf("CloseAll closed %d", n)
				}
			}()
			expectClose(t, c, 1012)
			_ = c.Close()
			r.closedWith(1012)
		})
	}
}

func TestReserveCapsConnections(t *testing.T) {
	h := NewHub(Config{MaxConnections: 2})
	for i := range 2 {
		if !h.Reserve() {
			t.Fatalf("reservation %d refused", i)
		}
	}
	if h.Reserve() {
		t.Fatal("the cap of 2 was not enforced")
	}
	h.Unreserve()
	if !h.Reserve() {
		t.Fatal("a freed reservation was not reusable")
	}
}

func (h *Hub) isOpen(id uint64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		if c.id == id {
			return true
		}
	}
	return false
}

// fakeBroker stands in for Redis: what one hub publishes, it delivers to every hub
// subscribed (the other processes), not back to the publisher.
type fakeBroker struct {
	mu   sync.Mutex
	subs []func(string, uint8, []byte)
}

type brokerEnd struct {
	b  *fakeBroker
	at int
}

func (e *brokerEnd) Publish(group string, op uint8, data []byte) error {
	e.b.mu.Lock()
	subs := append([]func(string, uint8, []byte){}, e.b.subs...)
	e.b.mu.Unlock()
	for i, deliver := range subs {
		if i != e.at {
			deliver(group, op, data)
		}
	}
	return nil
}

func (e *brokerEnd) Subscribe(deliver func(string, uint8, []byte)) error {
	e.b.mu.Lock()
	defer e.b.mu.Unlock()
	e.at = len(e.b.subs)
	e.b.subs = append(e.b.subs, deliver)
	return nil
}

func TestBrokerCarriesBroadcastsToOtherHubs(t *testing.T) {
	br := &fakeBroker{}
	one, two := newRig(t, Config{}), newRig(t, Config{})
	for _, r := range []*rig{one, two} {
		if err := r.hub.SetBroker(&brokerEnd{b: br}); err != nil {
			t.Fatal(err)
		}
	}
	a, sa := one.dial()
	b, sb := two.dial()
	one.respond(&bridge.Response{ID: sa.ID(), Kind: bridge.KindSocketJoin, Body: []byte("g")})
	two.respond(&bridge.Response{ID: sb.ID(), Kind: bridge.KindSocketJoin, Body: []byte("g")})
	one.respond(&bridge.Response{Kind: bridge.KindSocketBroadcast, ContentType: bridge.SocketText, Headers: []byte("g"), Body: []byte("across")})
	for _, c := range []*fws.Conn{a, b} {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, data, err := c.ReadMessage(); err != nil || string(data) != "across" {
			t.Fatalf("read %q %v", data, err)
		}
	}
}
