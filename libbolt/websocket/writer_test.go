package websocket

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	fws "github.com/fasthttp/websocket"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
)

func TestAppendFrameLengths(t *testing.T) {
	for _, n := range []int{0, 125, 126, 65535, 65536, 70000} {
		f := appendFrame(nil, fws.BinaryMessage, bytes.Repeat([]byte{7}, n))
		var want []byte
		switch {
		case n < 126:
			want = []byte{0x82, byte(n)}
		case n <= 0xffff:
			want = []byte{0x82, 126, byte(n >> 8), byte(n)}
		default:
			want = []byte{0x82, 127, 0, 0, 0, 0, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
		}
		if !bytes.Equal(f[:len(want)], want) || len(f) != len(want)+n {
			t.Fatalf("len %d: header % x, total %d", n, f[:min(len(f), 10)], len(f))
		}
	}
	if got := closePayload(1000, bytes.Repeat([]byte("r"), 200)); len(got) != 125 || got[0] != 0x03 || got[1] != 0xe8 {
		t.Fatalf("close payload % x (len %d)", got[:2], len(got))
	}
}

// joinAll dials n members of group g.
func (r *rig) joinAll(n int, g string, d fws.Dialer) ([]*fws.Conn, []*bridge.Slot) {
	r.t.Helper()
	cs, ss := make([]*fws.Conn, n), make([]*bridge.Slot, n)
	for i := range n {
		cs[i], ss[i] = r.dialWith(d)
		r.respond(&bridge.Response{ID: ss[i].ID(), Kind: bridge.KindSocketJoin, Body: []byte(g)})
	}
	return cs, ss
}

func readText(t *testing.T, c *fws.Conn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	op, data, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return fmt.Sprintf("%d:%s", op, data)
}

// Broadcasts (framed once, shared) and credited sends keep their order per member, on
// both write paths: the shards' non-blocking writes (TCP) and the blocking one.
func TestBroadcastsAndSendsInOrder(t *testing.T) {
	for _, opt := range []rigOpt{rigTCP, 0} {
		t.Run(fmt.Sprint(opt), func(t *testing.T) {
			r := newRig(t, Config{}, opt)
			cs, ss := r.joinAll(20, "g", fws.Dialer{})
			r.respond(&bridge.Response{Kind: bridge.KindSocketBroadcast, ContentType: bridge.SocketText, Headers: []byte("g"), Body: []byte("b1")})
			r.respond(&bridge.Response{ID: ss[3].ID(), Kind: bridge.KindSocketSend, ContentType: bridge.SocketBinary, Body: []byte("s1")})
			big := strings.Repeat("x", 70_000) // a 64-bit length header
			r.respond(&bridge.Response{Kind: bridge.KindSocketBroadcast, ContentType: bridge.SocketText, Headers: []byte("g"), Body: []byte(big)})
			for i, c := range cs {
				want := []string{"1:b1", "1:" + big}
				if i == 3 {
					want = []string{"1:b1", "2:s1", "1:" + big}
				}
				for _, w := range want {
					if got := readText(t, c); got != w {
						t.Fatalf("member %d read %.20q, want %.20q", i, got, w)
					}
				}
			}
			if cr := r.poll(1)[0]; cr.Kind != bridge.KindCredit || cr.ID != ss[3].ID() {
				t.Fatalf("credit record %+v", cr)
			}
			if n := r.hub.Stats.MessagesOut.Load(); n != 41 {
				t.Fatalf("messages out %d, want 41", n)
			}
		})
	}
}

// A member that stops reading falls behind by MaxSharedBacklog and is closed with 1013;
// the member that reads gets every broadcast, in order, meanwhile.
func TestSlowMemberOverflowsOthersUnaffected(t *testing.T) {
	r := newRig(t, Config{WriteTimeout: time.Minute}, rigTCP)
	cs, ss := r.joinAll(2, "g", fws.Dialer{})
	fast, slow := cs[0], cs[1]
	_ = slow // never read
	got := make(chan string, 1)
	go func() {
		for {
			_ = fast.SetReadDeadline(time.Now().Add(30 * time.Second))
			_, data, err := fast.ReadMessage()
			if err != nil {
				close(got)
				return
			}
			got <- string(data[:8])
		}
	}()
	payload := bytes.Repeat([]byte("p"), 64<<10)
	var closed *bridge.Request
	// 64 KiB a message: the slow member's socket buffers fill within some hundreds of
	// messages, then its backlog of MaxSharedBacklog.
	for i := 0; closed == nil; i++ {
		if i > 4000 {
			t.Fatal("the slow member was never closed")
		}
		copy(payload, fmt.Sprintf("%08d", i))
		r.respond(&bridge.Response{Kind: bridge.KindSocketBroadcast, ContentType: bridge.SocketBinary, Headers: []byte("g"), Body: payload})
		if m := <-got; m != fmt.Sprintf("%08d", i) {
			t.Fatalf("fast member read %q at %d", m, i)
		}
		for _, rec := range r.pollNow() {
			if rec.Kind == bridge.KindSocketClosed {
				closed = &rec
			}
		}
	}
	if closed.ID != ss[1].ID() || closed.Flags != 1013 {
		t.Fatalf("closed record id %d code %d, want the slow member (%d) with 1013", closed.ID, closed.Flags, ss[1].ID())
	}
	// The fast member still gets broadcasts.
	r.respond(&bridge.Response{Kind: bridge.KindSocketBroadcast, ContentType: bridge.SocketText, Headers: []byte("g"), Body: []byte("after---")})
	if m := <-got; m != "after---" {
		t.Fatalf("fast member read %q after the overflow", m)
	}
	if r.hub.Members("g") != 1 {
		t.Fatalf("members %d after the slow one was closed", r.hub.Members("g"))
	}
}

// pollNow returns the records queued for Python now (none: empty).
func (r *rig) pollNow() []bridge.Request {
	var out []bridge.Request
	buf := make([]byte, 1<<20)
	n := r.b.Poll(buf)
	for b := buf[:n]; len(b) > 0; {
		rec, m, err := bridge.DecodeRequest(b)
		if err != nil {
			r.t.Fatal(err)
		}
		out = append(out, rec)
		b = b[m:]
	}
	return out
}

// Go answers a client's ping through the outbox (after what is queued), on both paths.
func TestPingAnswered(t *testing.T) {
	for _, opt := range []rigOpt{rigTCP, 0} {
		t.Run(fmt.Sprint(opt), func(t *testing.T) {
			r := newRig(t, Config{}, opt)
			c, _ := r.dial()
			pong := make(chan string, 1)
			c.SetPongHandler(func(s string) error { pong <- s; return nil })
			go func() {
				for {
					if _, _, err := c.ReadMessage(); err != nil {
						return
					}
				}
			}()
			if err := c.WriteControl(fws.PingMessage, []byte("are you there"), time.Now().Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			select {
			case s := <-pong:
				if s != "are you there" {
					t.Fatalf("pong %q", s)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no pong")
			}
		})
	}
}

// permessage-deflate: negotiated when the client offers it; messages cross both ways
// compressed; a broadcast reaches compressing and plain members; the size limit counts
// the inflated message.
func TestCompression(t *testing.T) {
	r := newRig(t, Config{MaxMessageSize: 1000}, rigTCP, rigCompress)
	zc, zs := r.dialWith(fws.Dialer{EnableCompression: true})
	pc, ps := r.dial()
	if n := r.hub.compressing.Load(); n != 1 {
		t.Fatalf("compressing sockets %d, want 1", n)
	}
	text := strings.Repeat("squeeze me ", 50)
	if err := zc.WriteMessage(fws.TextMessage, []byte(text)); err != nil {
		t.Fatal(err)
	}
	if rec := r.poll(1)[0]; rec.Kind != bridge.KindSocketMessage || string(rec.Body) != text {
		t.Fatalf("record %+v", rec)
	}
	r.respond(&bridge.Response{ID: zs.ID(), Kind: bridge.KindSocketSend, ContentType: bridge.SocketText, Body: []byte(text)})
	if got := readText(t, zc); got != "1:"+text {
		t.Fatalf("compressed send read %.30q", got)
	}
	for _, s := range []*bridge.Slot{zs, ps} {
		r.respond(&bridge.Response{ID: s.ID(), Kind: bridge.KindSocketJoin, Body: []byte("g")})
	}
	r.respond(&bridge.Response{Kind: bridge.KindSocketBroadcast, ContentType: bridge.SocketText, Headers: []byte("g"), Body: []byte(text)})
	for _, c := range []*fws.Conn{zc, pc} {
		if got := readText(t, c); got != "1:"+text {
			t.Fatalf("broadcast read %.30q", got)
		}
	}
	// 5,000 bytes inflate from far fewer on the wire: over the 1,000-byte limit.
	if err := zc.WriteMessage(fws.TextMessage, bytes.Repeat([]byte("a"), 5000)); err != nil {
		t.Fatal(err)
	}
	expectClose(t, zc, 1009)
	for {
		recs := r.poll(1)
		if last := recs[len(recs)-1]; last.Kind == bridge.KindSocketClosed {
			if last.Flags != 1009 || last.ID != zs.ID() {
				t.Fatalf("closed %+v, want 1009", last)
			}
			break
		}
	}
}

// Many broadcasts back to back to many members, with sends to some of them in between:
// every member gets every message once, in order (no wake-up is lost between a writer
// finding an outbox empty and the next push). Fewer rounds than MaxSharedBacklog: a
// member can never be closed for falling behind, however slowly its reader runs.
func TestNoMessageLostUnderLoad(t *testing.T) {
	const members, rounds = 64, bridge.MaxSharedBacklog - 16
	r := newRig(t, Config{}, rigTCP)
	cs, ss := r.joinAll(members, "g", fws.Dialer{})
	errs := make(chan error, members)
	for i, c := range cs {
		go func() {
			next, sends := 0, 0
			for next < rounds {
				_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
				op, data, err := c.ReadMessage()
				if err != nil {
					errs <- fmt.Errorf("member %d after %d: %v", i, next, err)
					return
				}
				if op == fws.BinaryMessage {
					sends++
					continue
				}
				if string(data) != fmt.Sprint(next) {
					errs <- fmt.Errorf("member %d read %q, want %d", i, data, next)
					return
				}
				next++
			}
			errs <- nil
		}()
	}
	for k := range rounds {
		r.respond(&bridge.Response{Kind: bridge.KindSocketBroadcast, ContentType: bridge.SocketText, Headers: []byte("g"), Body: []byte(fmt.Sprint(k))})
		if k%50 == 0 {
			// A credited send to one member; its credit comes back once written.
			r.respond(&bridge.Response{ID: ss[k%members].ID(), Kind: bridge.KindSocketSend, ContentType: bridge.SocketBinary, Body: []byte("s")})
		}
		if k%60 == 59 {
			r.hub.Tick(time.Unix(0, r.clock.Load()+int64(time.Hour))) // pings too (no timeout set)
		}
	}
	for range members {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// A socket that once needed its own goroutine (its reader was slow for a while) goes back
// to the non-blocking writers, and the write deadline of that wait does not outlive it.
func TestSocketRecoversFromASlowPatch(t *testing.T) {
	r := newRig(t, Config{WriteTimeout: 500 * time.Millisecond}, rigTCP)
	cs, _ := r.joinAll(1, "g", fws.Dialer{})
	c := cs[0]
	big := bytes.Repeat([]byte("b"), 1<<20)
	// More than the socket buffers hold while the client does not read: the write is cut
	// and finished on the socket's own goroutine once the client reads.
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for range 24 {
			r.respond(&bridge.Response{Kind: bridge.KindSocketBroadcast, ContentType: bridge.SocketBinary, Headers: []byte("g"), Body: big})
		}
	}()
	time.Sleep(20 * time.Millisecond)
	for i := range 24 {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, data, err := c.ReadMessage(); err != nil || len(data) != len(big) {
			t.Fatalf("big message %d: %d bytes, %v", i, len(data), err)
		}
	}
	<-sent
	time.Sleep(700 * time.Millisecond) // past the write timeout of that wait
	r.respond(&bridge.Response{Kind: bridge.KindSocketBroadcast, ContentType: bridge.SocketText, Headers: []byte("g"), Body: []byte("later")})
	if got := readText(t, c); got != "1:later" {
		t.Fatalf("read %q after the slow patch", got)
	}
}

// Take hands a writer a bounded batch (at least one message); what is taken no longer
// counts toward the queue's bounds; an empty Take makes the outbox idle, and the next push
// wakes the writer again.
func TestOutboxTakeInBatches(t *testing.T) {
	o := bridge.NewOutbox()
	woken := 0
	o.SetWake(func() { woken++ }, nil)
	for range 5 {
		o.Push(bridge.OutMsg{Op: bridge.SocketText, Data: make([]byte, 100)})
	}
	if woken != 1 {
		t.Fatalf("woken %d times for 5 pushes, want 1", woken)
	}
	if got := len(o.Take(nil, 250)); got != 3 {
		t.Fatalf("took %d, want 3 (300 bytes >= 250)", got)
	}
	if got := len(o.Take(nil, 1)); got != 1 {
		t.Fatalf("took %d with a 1-byte batch, want 1", got)
	}
	if got := len(o.Take(nil, 1<<20)); got != 1 {
		t.Fatalf("took %d, want the last 1", got)
	}
	for i := range bridge.MaxSharedBacklog {
		if !o.Push(bridge.OutMsg{Op: bridge.SocketText}) {
			t.Fatalf("push %d refused after the queue was taken", i)
		}
	}
	if woken != 1 {
		t.Fatalf("woken %d times while busy, want 1", woken)
	}
	o.Take(nil, 1<<30)
	if got := len(o.Take(nil, 1<<30)); got != 0 {
		t.Fatalf("took %d from an empty outbox", got)
	}
	o.Push(bridge.OutMsg{Op: bridge.SocketText})
	if woken != 2 {
		t.Fatalf("woken %d times after the outbox went idle and got a push, want 2", woken)
	}
}

// Pongs count toward the shared backlog: a peer that pings without reading cannot queue
// them without bound.
func TestPongsAreBounded(t *testing.T) {
	o := bridge.NewOutbox()
	for i := range bridge.MaxSharedBacklog {
		if !o.Push(bridge.OutMsg{Op: bridge.OpPong, Data: []byte("p")}) {
			t.Fatalf("pong %d refused", i)
		}
	}
	if o.Push(bridge.OutMsg{Op: bridge.OpPong}) {
		t.Fatal("a pong beyond the backlog was queued")
	}
	if !o.Push(bridge.OutMsg{Op: bridge.OpPing}) || !o.Push(bridge.OutMsg{Op: bridge.OpClose, Code: 1000}) {
		t.Fatal("a ping or close was refused")
	}
}
