package logline

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// ConnErrors is fasthttp's Logger. fasthttp's "error when serving connection" line quotes
// the request buffer it failed to parse, so any malformed request would write its
// Authorization and Cookie headers to stderr (CWE-532), one line per request. Here that
// line becomes the error's class, the peer address and the request id of the error reply:
// nothing a client sent is ever written. Lines are rate-limited (a client can trigger them
// at will); the number left out is reported on the next line written.
type ConnErrors struct {
	log *Logger

	mu         sync.Mutex
	tokens     float64
	last       time.Time
	suppressed int
	ids        map[string]string // peer -> request id of the error reply just written
}

const (
	connErrorsPerSecond = 10 // sustained lines per second
	connErrorsBurst     = 20
	maxRememberedIDs    = 4096 // peers waiting for their line; beyond, the map is reset
)

// NewConnErrors returns fasthttp's Logger for one server.
func NewConnErrors() *ConnErrors {
	return &ConnErrors{log: New("django_bolt.server"), tokens: connErrorsBurst, ids: map[string]string{}}
}

// RememberID records the request id of the error reply sent to peer: fasthttp logs the
// connection's error right after, on the same goroutine.
func (c *ConnErrors) RememberID(peer string, id []byte) {
	c.mu.Lock()
	if len(c.ids) >= maxRememberedIDs {
		clear(c.ids)
	}
	c.ids[peer] = string(id)
	c.mu.Unlock()
}

// Printf implements fasthttp.Logger.
func (c *ConnErrors) Printf(format string, args ...any) {
	message, fields := "error when serving connection", []Field(nil)
	if strings.HasPrefix(format, message) && len(args) == 3 {
		peer := fmt.Sprint(args[1])
		err, _ := args[2].(error)
		fields = []Field{{"error", Classify(err)}, {"peer", peer}}
		c.mu.Lock()
		if id, ok := c.ids[peer]; ok {
			delete(c.ids, peer)
			fields = append(fields, Field{"request_id", id})
		}
		c.mu.Unlock()
	} else {
		// fasthttp's other lines (accept errors, the concurrency limit) name no request
		// data, but only the format is written: an unknown line cannot leak one either.
		message = format
	}
	if n, ok := c.allow(time.Now()); !ok {
		return
	} else if n > 0 {
		fields = append(fields, Field{"suppressed", n})
	}
	c.log.Log("WARNING", message, fields...)
}

// allow takes a token; it returns how many lines were left out since the last one written.
func (c *ConnErrors) allow(now time.Time) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.last.IsZero() {
		c.tokens = min(connErrorsBurst, c.tokens+now.Sub(c.last).Seconds()*connErrorsPerSecond)
	}
	c.last = now
	if c.tokens < 1 {
		c.suppressed++
		return 0, false
	}
	c.tokens--
	n := c.suppressed
	c.suppressed = 0
	return n, true
}

// Classify names what went wrong with a connection without quoting any of its bytes.
func Classify(err error) string {
	var small *fasthttp.ErrSmallBuffer
	var timeout interface{ Timeout() bool }
	switch {
	case err == nil:
		return "unknown"
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return "body_too_large"
	case errors.As(err, &small):
		return "header_too_large"
	case errors.As(err, &timeout) && timeout.Timeout():
		return "timeout"
	case errors.Is(err, fasthttp.ErrBadTrailer):
		return "bad_trailer"
	case strings.Contains(err.Error(), "broken pipe"), strings.Contains(err.Error(), "reset by peer"):
		return "connection_reset"
	default:
		return "malformed_request"
	}
}
