// Package logline writes the server's own log lines (errors, warnings, shutdown) in the one
// format runbolt uses for every line on stderr, Python's included (django_bolt/_server/logs.py):
//
//	{"time":"2026-12-06T20:30:01.123Z","level":"ERROR","logger":"django_bolt.server","message":"...","worker":0}
//
// or, in development (runbolt --dev), a readable line, coloured on a terminal:
//
//	20:30:01 ERROR django_bolt.server[worker 0]: ...
//
// Extra fields (a peer address, an error class) follow as JSON keys or key=value pairs.
// Nothing here is on a request's hot path: lines are rare, written one write(2) each.
package logline

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Format is how lines are written.
type Format struct {
	Text   bool // readable text instead of JSON
	Colour bool // ANSI colour on the level (text only)
	Worker int  // the worker id on every line; -1: none (a single process)
}

var (
	format atomic.Pointer[Format]
	outMu  sync.Mutex
	out    io.Writer = os.Stderr
)

func init() { format.Store(&Format{Worker: -1}) }

// Configure sets the format of every following line (called once when the server starts).
func Configure(f Format) { format.Store(&f) }

// SetOutput sends lines to w instead of stderr (tests); nil: stderr again.
func SetOutput(w io.Writer) {
	if w == nil {
		w = os.Stderr
	}
	outMu.Lock()
	out = w
	outMu.Unlock()
}

// Field is one extra key of a line.
type Field struct {
	Key   string
	Value any
}

// Logger writes lines under one logger name.
type Logger struct{ name string }

// New returns the logger called name ("django_bolt.server").
func New(name string) *Logger { return &Logger{name: name} }

// Printf writes an ERROR line: the log.Logger-style call the server's error paths use.
func (l *Logger) Printf(format string, args ...any) {
	l.Log("ERROR", fmt.Sprintf(format, args...))
}

// Log writes one line at level ("INFO", "WARNING", "ERROR") with extra fields.
func (l *Logger) Log(level, message string, fields ...Field) {
	line := Append(nil, time.Now(), level, l.name, message, fields...)
	outMu.Lock()
	_, _ = out.Write(line)
	outMu.Unlock()
}

// Append formats one line (with its newline) onto b in the configured format.
func Append(b []byte, t time.Time, level, name, message string, fields ...Field) []byte {
	f := format.Load()
	if f.Text {
		return appendText(b, f, t, level, name, message, fields)
	}
	b = append(b, `{"time":"`...)
	b = t.UTC().AppendFormat(b, TimeLayout)
	b = append(b, `","level":`...)
	b = appendJSON(b, level)
	b = append(b, `,"logger":`...)
	b = appendJSON(b, name)
	b = append(b, `,"message":`...)
	b = appendJSON(b, message)
	if f.Worker >= 0 {
		b = append(b, `,"worker":`...)
		b = strconv.AppendInt(b, int64(f.Worker), 10)
	}
	for _, fl := range fields {
		b = append(b, ',')
		b = appendJSON(b, fl.Key)
		b = append(b, ':')
		b = appendJSON(b, fl.Value)
	}
	return append(b, "}\n"...)
}

// TimeLayout is the timestamp of JSON lines, always UTC with milliseconds; Python writes
// the same (logs.py), so one parser reads both.
const TimeLayout = "2006-01-02T15:04:05.000Z"

var colours = map[string]string{"ERROR": "\x1b[31m", "WARNING": "\x1b[33m", "INFO": "\x1b[32m"}

func appendText(b []byte, f *Format, t time.Time, level, name, message string, fields []Field) []byte {
	b = t.Local().AppendFormat(b, "15:04:05")
	b = append(b, ' ')
	if c, ok := colours[level]; ok && f.Colour {
		b = append(append(append(b, c...), level...), "\x1b[0m"...)
	} else {
		b = append(b, level...)
	}
	b = append(append(b, ' '), name...)
	if f.Worker >= 0 {
		b = append(b, "[worker "...)
		b = strconv.AppendInt(b, int64(f.Worker), 10)
		b = append(b, ']')
	}
	b = append(append(b, ": "...), printable(message)...)
	for _, fl := range fields {
		b = append(append(append(b, ' '), fl.Key...), '=')
		b = append(b, printable(fmt.Sprint(fl.Value))...)
	}
	return append(b, '\n')
}

// printable keeps a text line on one line: control bytes a client may have put in a path
// are escaped, so a request cannot forge log lines.
func printable(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 && s[i] != '\t' || s[i] == 0x7f {
			q := strconv.Quote(s)
			return q[1 : len(q)-1]
		}
	}
	return s
}

func appendJSON(b []byte, v any) []byte {
	enc, err := json.Marshal(v) // invalid UTF-8 becomes U+FFFD: the line stays valid JSON
	if err != nil {
		enc, _ = json.Marshal(fmt.Sprint(v))
	}
	return append(b, enc...)
}
