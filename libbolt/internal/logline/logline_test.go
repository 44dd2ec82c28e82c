package logline

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func TestJSONAndTextLinesCarryTheSameFields(t *testing.T) {
	at := time.Date(2026, 12, 6, 20, 30, 1, 123_000_000, time.UTC)
	Configure(Format{Worker: 2})
	defer Configure(Format{Worker: -1})
	var got map[string]any
	line := Append(nil, at, "ERROR", "django_bolt.server", "boom\nforged", Field{"peer", "1.2.3.4:5"})
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	want := map[string]any{"time": "2026-12-06T20:30:01.123Z", "level": "ERROR", "logger": "django_bolt.server",
		"message": "boom\nforged", "worker": 2.0, "peer": "1.2.3.4:5"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	Configure(Format{Text: true, Worker: 2})
	text := string(Append(nil, at, "ERROR", "django_bolt.server", "boom\nforged", Field{"peer", "1.2.3.4:5"}))
	if !strings.HasSuffix(text, " ERROR django_bolt.server[worker 2]: boom\\nforged peer=1.2.3.4:5\n") || strings.Count(text, "\n") != 1 {
		t.Errorf("text line %q", text)
	}
}

func TestConnErrorsAreRateLimitedAndCountWhatTheyLeaveOut(t *testing.T) {
	c := NewConnErrors()
	now := time.Now()
	written := 0
	for range 100 {
		if _, ok := c.allow(now); ok {
			written++
		}
	}
	if written != connErrorsBurst {
		t.Fatalf("%d lines in a burst, want %d", written, connErrorsBurst)
	}
	n, ok := c.allow(now.Add(time.Second))
	if !ok || n != 100-connErrorsBurst {
		t.Fatalf("a second later: allowed %v, suppressed %d, want true, %d", ok, n, 100-connErrorsBurst)
	}
}

func TestClassifyNamesErrorsWithoutTheirText(t *testing.T) {
	for err, want := range map[error]string{
		fasthttp.ErrBodyTooLarge:                        "body_too_large",
		&fasthttp.ErrSmallBuffer{}:                      "header_too_large",
		errors.New("cannot parse \"Authorization: x\""): "malformed_request",
		nil: "unknown",
	} {
		if got := Classify(err); got != want {
			t.Errorf("Classify(%v) = %q, want %q", err, got, want)
		}
	}
}
