package accesslog

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strconv"
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
		Duration: 1500 * time.Microsecond, ClientIP: netip.MustParseAddr("127.0.0.1"), UserID: []byte(`"u-9"`),
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

// The hand-written formatters write what the standard library's would.
func TestTimeAndDurationFormats(t *testing.T) {
	t.Parallel()
	east := time.FixedZone("east", 5*3600+30*60)
	for _, tm := range []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 999_999_999, east),
		time.Date(2026, 11, 27, 0, 0, 0, 0, east),
		time.Date(12026, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(5, 6, 7, 8, 9, 10, 11, time.UTC),
	} {
		want := tm.UTC().AppendFormat(nil, "2006-01-02T15:04:05.000Z07:00")
		if got := appendUTC(nil, tm); string(got) != string(want) {
			t.Errorf("appendUTC(%v) = %s, want %s", tm, got, want)
		}
	}
	for _, us := range []int64{0, 1, 9, 10, 999, 1000, 1001, 1500, 123_456_789, 30_000_000, -1, -1500} {
		d := time.Duration(us) * time.Microsecond
		if us > 0 {
			d += 999 // nanoseconds are cut, not rounded
		}
		want := strconv.AppendFloat(nil, float64(us)/1000, 'f', 3, 64)
		if got := appendMillis(nil, d); string(got) != string(want) {
			t.Errorf("appendMillis(%v) = %s, want %s", d, got, want)
		}
	}
}

func TestJSONStringEscapes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                     `""`,
		"/items/7":             `"/items/7"`,
		"a\"b\\c":              `"a\"b\\c"`,
		"\x00\x1f\x7f~ ":       `"\u0000\u001f\u007f~ "`,
		"caf\xc3\xa9/\xff!":    `"caf\u00e9/\ufffd!"`,
		"\xe2\x82":             `"\ufffd\ufffd"`,
		"\xf0\x9f\x98\x80 end": `"😀 end"`,
	} {
		var got, wantJSON any
		raw := appendString(nil, []byte(in))
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("appendString(%q) = %s: %v", in, raw, err)
		}
		_ = json.Unmarshal([]byte(want), &wantJSON)
		if got != wantJSON {
			t.Errorf("appendString(%q) = %s, want %s", in, raw, want)
		}
	}
}

func TestTextLineCannotForgeLines(t *testing.T) {
	t.Parallel()
	line := string(appendText(nil, entry(), &whoAmI{text: []byte(" INFO django_bolt.access: ")}))
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

func TestWorkerOnEveryLine(t *testing.T) {
	t.Parallel()
	worker := 3
	for _, format := range []string{"json", "text"} {
		var out syncBuf
		l, err := New(&Config{Format: format, Worker: &worker}, &out)
		if err != nil {
			t.Fatal(err)
		}
		l.Log(entry())
		l.Close()
		line := out.b.String()
		if format == "json" {
			var got map[string]any
			if err := json.Unmarshal([]byte(line), &got); err != nil || got["worker"] != 3.0 {
				t.Errorf("%q: worker = %v (%v), want 3", line, got["worker"], err)
			}
		} else if !strings.Contains(line, " INFO django_bolt.access[worker 3]: GET ") {
			t.Errorf("text line %q lacks [worker 3]", line)
		}
	}
}
