package observe

import (
	"testing"
	"time"
)

func TestUserIDFromExtra(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		`{"context":{"user_id":"u-1","sub":"x"}}`: `"u-1"`,
		`{"context":{"user_id":42}}`:              `42`,
		`{"user_id":"top"}`:                       `"top"`,
		`{"context":{"user_id":{"a":1}}}`:         ``,
		`{"form":{}}`:                             ``,
		`{"context":{"user_id":"a\"b\n"}}`:        `"a\"b\n"`,
	} {
		if got := string(userID([]byte(raw))); got != want {
			t.Errorf("%s: got %s, want %s", raw, got, want)
		}
	}
}

// The access log's wall time, derived from a monotonic offset, is the wall clock's.
func TestWallTimeFromMonotonic(t *testing.T) {
	t.Parallel()
	for range 3 {
		before := time.Now()
		w := wallTime(monotonic())
		after := time.Now()
		if w.Before(before.Add(-10*time.Millisecond)) || w.After(after.Add(10*time.Millisecond)) {
			t.Fatalf("wall time %v outside [%v, %v]", w, before, after)
		}
		// An earlier start (a request older than the base): the offset goes back.
		if e := wallTime(monotonic() - time.Minute); e.After(before.Add(-59 * time.Second)) {
			t.Fatalf("a start a minute back logged at %v (now %v)", e, before)
		}
	}
}

// BenchmarkClock prices a read of the request clock: time.Now (wall and monotonic: what
// fasthttp's ctx.Time read) against the monotonic offset alone (what observe reads now).
func BenchmarkClock(b *testing.B) {
	var sink time.Duration
	b.Run("time.Now", func(b *testing.B) {
		for b.Loop() {
			sink += time.Duration(time.Now().UnixNano())
		}
	})
	b.Run("monotonic", func(b *testing.B) {
		for b.Loop() {
			sink += monotonic()
		}
	})
	_ = sink
}
