package accesslog

import (
	"bytes"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func entry() *Entry {
	return &Entry{
		Time: time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC), RequestID: []byte("abc-1"), Method: []byte("GET"),
		Route: "/items/{id}", Path: []byte("/items/7\n\"x\xff"), Status: 200, Bytes: 42,
		Duration: 1500 * time.Microsecond, ClientIP: net.ParseIP("127.0.0.1"), UserID: []byte(`"u-9"`),
	}
}

func TestJSONLine(t *testing.T) {
	t.Parallel()
	var out syncBuf
	l, err := New(&Config{}, &out)
	if err != nil {
		t.Fatal(err)
	}
	l.Log(entry())
	l.Close()
	line := out.b.String()
	if strings.Count(line, "\n") != 1 {
		t.Fatalf("want one line, got %q", line)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(line), &got); err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	want := map[string]any{
		"time": "2026-01-02T03:04:05.006Z", "level": "INFO", "logger": "django_bolt.access", "request_id": "abc-1",
		"method": "GET", "route": "/items/{id}", "path": "/items/7\n\"x\ufffd", "status": 200.0, "bytes": 42.0,
		"duration_ms": 1.5, "client_ip": "127.0.0.1", "user_id": "u-9",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
}

func TestTextLineCannotForgeLines(t *testing.T) {
	t.Parallel()
	line := string(appendText(nil, entry()))
	if strings.Count(line, "\n") != 1 || !strings.Contains(line, `GET /items/7\x0a"x\xff 200 42B 1.5ms route=/items/{id} ip=127.0.0.1`) {
		t.Errorf("text line %q", line)
	}
}

func TestSamplingAndSlowOnly(t *testing.T) {
	t.Parallel()
	zero, half := 0.0, 0.5
	l, _ := New(&Config{Sample: &zero}, &syncBuf{})
	defer l.Close()
	if l.Wants(time.Hour) {
		t.Error("sample 0 logged a request")
	}
	slow, _ := New(&Config{SlowMs: 100}, &syncBuf{})
	defer slow.Close()
	if slow.Wants(99*time.Millisecond) || !slow.Wants(100*time.Millisecond) {
		t.Error("slow-only threshold")
	}
	some, _ := New(&Config{Sample: &half}, &syncBuf{})
	defer some.Close()
	n := 0
	for range 10000 {
		if some.Wants(0) {
			n++
		}
	}
	if n < 4000 || n > 6000 {
		t.Errorf("sample 0.5 logged %d of 10000", n)
	}
	bad := 1.5
	for _, c := range []*Config{{Sample: &bad}, {SlowMs: -1}, {Format: "xml"}} {
		if _, err := New(c, &syncBuf{}); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// A writer that never returns must not block requests: lines are dropped and counted.
func TestFullQueueDropsInsteadOfBlocking(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	l, _ := New(&Config{}, writerFunc(func(p []byte) (int, error) { <-block; return len(p), nil }))
	for range 2 * maxPending / 100 { // lines are over 100 bytes
		l.Log(entry())
	}
	if l.Dropped() == 0 {
		t.Error("nothing dropped with a stuck writer")
	}
	close(block)
	l.Close()
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
