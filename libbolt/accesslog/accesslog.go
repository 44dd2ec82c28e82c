// Package accesslog writes one line per request, as JSON (production) or readable text
// (runbolt --dev), from Go: the Python thread never formats or writes them.
//
// Speed: a request appends its line to a shared batch under a mutex and goes on; one
// writer goroutine swaps the batch out and writes it every FlushInterval, or as soon as it
// passes flushAt bytes. Waking the writer per line (a channel send) cost a scheduler
// round trip per request. A request never waits on a slow stderr: while the writer is
// stuck, lines beyond maxPending bytes are dropped and counted (Dropped, and
// bolt_access_log_dropped_total).
package accesslog

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Config is the access log as configured in Python (ACCESS_LOG_* settings).
type Config struct {
	Format string   `json:"format"`  // "json" (default) or "text"
	Sample *float64 `json:"sample"`  // fraction of requests logged, 0-1, default 1
	SlowMs int      `json:"slow_ms"` // when > 0, only requests at least this slow are logged
	// Worker is the worker id written on every line (as the server's other lines do,
	// internal/logline); nil: none.
	Worker *int `json:"worker"`
}

// Entry is what one line says.
type Entry struct {
	Time      time.Time
	RequestID []byte
	Method    []byte
	Route     string // route template; "" when no route matched
	Path      []byte
	Status    int
	Bytes     int
	Duration  time.Duration
	ClientIP  netip.Addr // the zero Addr when unknown
	UserID    []byte     // a JSON value (string or number), nil when unknown
}

const (
	// FlushInterval bounds how long a line waits in the batch.
	FlushInterval = 50 * time.Millisecond
	// flushAt wakes the writer early. Bigger writes cost less per byte (dd to ext4 on
	// the bench VM: 2.2 GB/s in 32 KB writes, 2.9 GB/s in 256 KB ones).
	flushAt    = 256 << 10
	maxPending = 4 << 20 // bytes held while the writer is stuck; beyond: dropped
)

// Logger formats and batches access log lines.
type Logger struct {
	text    bool
	who     whoAmI // the logger name and worker id, formatted once
	sample  float64
	slow    time.Duration
	mu      sync.Mutex
	pending []byte        // lines not yet handed to the writer (under mu)
	kick    chan struct{} // capacity 1: "the batch is big, write it now"
	stop    chan struct{}
	done    chan struct{}
	dropped atomic.Uint64
	stopped atomic.Bool
	once    sync.Once
}

// New validates c and starts the writer goroutine; Close stops it.
func New(c *Config, out io.Writer) (*Logger, error) {
	l := &Logger{sample: 1, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	switch c.Format {
	case "", "json":
	case "text":
		l.text = true
	default:
		return nil, fmt.Errorf("access log format %q must be \"json\" or \"text\"", c.Format)
	}
	if c.Sample != nil {
		if *c.Sample < 0 || *c.Sample > 1 {
			return nil, fmt.Errorf("access log sample must be between 0 and 1, got %v", *c.Sample)
		}
		l.sample = *c.Sample
	}
	if c.SlowMs < 0 {
		return nil, fmt.Errorf("access log slow_ms must be >= 0, got %d", c.SlowMs)
	}
	l.slow = time.Duration(c.SlowMs) * time.Millisecond
	l.who = newWhoAmI(c.Worker)
	go l.write(out)
	return l, nil
}

// Wants reports whether a request that took d is logged (slow-only mode, sampling). It is
// asked before the line is built, so skipped requests cost nothing more.
func (l *Logger) Wants(d time.Duration) bool {
	if d < l.slow {
		return false
	}
	return l.sample >= 1 || (l.sample > 0 && rand.Float64() < l.sample)
}

// Log formats e and adds it to the batch; it never blocks on the output. The line is
// formatted straight into the batch under the lock (the writer only holds it to swap the
// batch out): no line buffer to pool and copy. BenchmarkLog: ~150 ns of CPU per line.
func (l *Logger) Log(e *Entry) {
	l.mu.Lock()
	if !l.stopped.Load() {
		start := len(l.pending)
		if l.text {
			l.pending = appendText(l.pending, e, &l.who)
		} else {
			l.pending = appendJSON(l.pending, e, &l.who)
		}
		switch {
		case len(l.pending) > maxPending:
			l.pending = l.pending[:start]
			l.dropped.Add(1)
		case len(l.pending) >= flushAt:
			select {
			case l.kick <- struct{}{}:
			default: // already kicked
			}
		}
	}
	l.mu.Unlock()
}

// Dropped returns how many lines were dropped because the writer fell behind.
func (l *Logger) Dropped() uint64 { return l.dropped.Load() }

// Close writes what is queued and stops the writer goroutine. Lines logged after Close
// are discarded.
func (l *Logger) Close() {
	l.once.Do(func() {
		l.stopped.Store(true)
		close(l.stop)
		<-l.done
	})
}

func (l *Logger) write(out io.Writer) {
	defer close(l.done)
	tick := time.NewTicker(FlushInterval)
	defer tick.Stop()
	var spare []byte
	flush := func() {
		l.mu.Lock()
		batch := l.pending
		l.pending = spare[:0]
		l.mu.Unlock()
		if len(batch) > 0 {
			_, _ = out.Write(batch)
		}
		if cap(batch) <= 2*maxPending {
			spare = batch
		}
	}
	for {
		select {
		case <-tick.C:
		case <-l.kick:
		case <-l.stop:
			flush()
			return
		}
		flush()
	}
}

// whoAmI is the constant part of every line, formatted once at start-up.
type whoAmI struct {
	json []byte // `","level":"INFO","logger":"django_bolt.access","worker":0,"request_id":`
	text []byte // " INFO django_bolt.access[worker 0]: "
}

func newWhoAmI(worker *int) whoAmI {
	w := whoAmI{json: []byte(`","level":"INFO","logger":"django_bolt.access",`), text: []byte(" INFO django_bolt.access")}
	if worker != nil {
		w.json = fmt.Appendf(w.json, `"worker":%d,`, *worker)
		w.text = fmt.Appendf(w.text, "[worker %d]", *worker)
	}
	w.json = append(w.json, `"request_id":`...)
	w.text = append(w.text, ": "...)
	return w
}

func appendJSON(b []byte, e *Entry, who *whoAmI) []byte {
	b = append(b, `{"time":"`...)
	b = appendUTC(b, e.Time)
	b = append(b, who.json...)
	b = appendString(b, e.RequestID)
	b = append(b, `,"method":`...)
	b = appendString(b, e.Method)
	b = append(b, `,"route":`...)
	if e.Route == "" {
		b = append(b, "null"...)
	} else {
		b = appendString(b, []byte(e.Route))
	}
	b = append(b, `,"path":`...)
	b = appendString(b, e.Path)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(e.Status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, int64(e.Bytes), 10)
	b = append(b, `,"duration_ms":`...)
	b = appendMillis(b, e.Duration)
	b = append(b, `,"client_ip":"`...)
	b = e.ClientIP.Unmap().AppendTo(b)
	b = append(b, '"')
	if e.UserID != nil {
		b = append(b, `,"user_id":`...)
		b = append(b, e.UserID...)
	}
	return append(b, "}\n"...)
}

func appendText(b []byte, e *Entry, who *whoAmI) []byte {
	b = e.Time.Local().AppendFormat(b, "15:04:05")
	b = append(b, who.text...)
	b = appendPrintable(b, e.Method)
	b = append(b, ' ')
	b = appendPrintable(b, e.Path)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(e.Status), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(e.Bytes), 10)
	b = append(b, "B "...)
	b = strconv.AppendFloat(b, float64(e.Duration.Microseconds())/1000, 'f', 1, 64)
	b = append(b, "ms"...)
	if e.Route != "" {
		b = append(b, " route="...)
		b = appendPrintable(b, []byte(e.Route))
	}
	b = append(b, " ip="...)
	b = e.ClientIP.Unmap().AppendTo(b)
	if e.UserID != nil {
		b = append(b, " user="...)
		b = appendPrintable(b, e.UserID)
	}
	b = append(b, " id="...)
	b = appendPrintable(b, e.RequestID)
	return append(b, '\n')
}

// secondStamp is one second formatted as 2006-01-02T15:04:05 (UTC).
type secondStamp struct {
	unix int64
	text []byte
}

// lastSecond is the second of the latest line: the lines of one second share its text.
var lastSecond atomic.Pointer[secondStamp]

// appendUTC appends t in UTC as 2006-01-02T15:04:05.000Z. Speed: AppendFormat per line
// was a third of BenchmarkLog (~150 ns); it now runs once a second.
func appendUTC(b []byte, t time.Time) []byte {
	st := lastSecond.Load()
	if sec := t.Unix(); st == nil || st.unix != sec {
		st = &secondStamp{unix: sec, text: t.UTC().AppendFormat(nil, "2006-01-02T15:04:05")}
		lastSecond.Store(st)
	}
	b = append(append(b, st.text...), '.')
	return append(append3(b, t.Nanosecond()/1e6), 'Z')
}

// appendMillis appends d in milliseconds with three decimals (whole microseconds), as
// strconv.AppendFloat(µs/1000, 'f', 3) would, without the float formatting.
func appendMillis(b []byte, d time.Duration) []byte {
	us := d.Microseconds()
	if us < 0 {
		return strconv.AppendFloat(b, float64(us)/1000, 'f', 3, 64)
	}
	b = strconv.AppendInt(b, us/1000, 10)
	return append3(append(b, '.'), int(us%1000))
}

// append3 appends n (0-999) as three digits.
func append3(b []byte, n int) []byte {
	return append(b, byte('0'+n/100), byte('0'+n/10%10), byte('0'+n%10))
}

const hexDigits = "0123456789abcdef"

// plainJSON marks the bytes a JSON string holds as they are: printable ASCII but quote and backslash.
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD, so the line stays
// valid JSON whatever bytes a client put in its path.
func appendString(b, s []byte) []byte {
	b = append(b, '"')
	for len(s) > 0 {
		// Speed: runs of bytes that need no escaping are copied at once (a byte-at-a-time
		// append was a fifth of BenchmarkLog).
		n := 0
		for n < len(s) && plainJSON[s[n]] {
			n++
		}
		b = append(b, s[:n]...)
		if s = s[n:]; len(s) == 0 {
			break
		}
		c := s[0]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			s = s[1:]
			continue
		}
		r, size := utf8.DecodeRune(s)
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[:size]...)
		}
		s = s[size:]
	}
	return append(b, '"')
}

// appendPrintable appends s with control and non-ASCII bytes escaped as \xNN, so a path
// cannot forge a second log line (CWE-117).
func appendPrintable(b, s []byte) []byte {
	for _, c := range s {
		if c < 0x20 || c >= 0x7f {
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
		} else {
			b = append(b, c)
		}
	}
	return b
}
