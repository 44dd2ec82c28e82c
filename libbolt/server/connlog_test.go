package server

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/logline"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A malformed request's credentials must never reach the log (CWE-532): fasthttp's own
// line quoted the whole request buffer, Authorization and Cookie included.
func TestMalformedRequestCredentialsAreNotLogged(t *testing.T) {
	var out lockedBuffer
	logline.SetOutput(&out)
	t.Cleanup(func() { logline.SetOutput(nil) })
	ts := startServer(t, Config{MaxBodySize: 16}, nil)
	const token, cookie = "tok-SECRET-3f9a", "sessionid=cookie-SECRET-77"
	for _, raw := range []string{
		// A declared body over the limit: answered 413 from the headers (body.go), before
		// fasthttp reads it; no line may quote the request either.
		"POST /x HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + token + "\r\nCookie: " + cookie +
			"\r\nContent-Length: 100\r\n\r\n" + strings.Repeat("a", 100),
		// Garbage in the header block.
		"GET /x HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + token + "\r\nCookie: " + cookie + "\r\nContent-Length: x\r\n\r\n",
	} {
		c := ts.dial(t)
		resp := c.do(t, raw)
		if resp.StatusCode() < 400 {
			t.Fatalf("status %d for a malformed request", resp.StatusCode())
		}
		if len(resp.Header.Peek("X-Request-ID")) == 0 {
			t.Errorf("the error reply has no X-Request-ID")
		}
		c.assertClosed(t)
	}
	classes := map[any]bool{}
	deadline := time.Now().Add(ioTimeout)
	for !classes["malformed_request"] && time.Now().Before(deadline) {
		for _, l := range strings.Split(out.String(), "\n") {
			if !strings.Contains(l, "error when serving connection") {
				continue
			}
			var line map[string]any
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatalf("not a JSON line: %q", l)
			}
			if line["logger"] != "django_bolt.server" || line["peer"] == "" || line["request_id"] == nil {
				t.Errorf("line %v lacks logger, peer or request id", line)
			}
			classes[line["error"]] = true
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !classes["malformed_request"] {
		t.Errorf("error classes %v, want malformed_request (log %q)", classes, out.String())
	}
	for _, secret := range []string{token, "cookie-SECRET", "Authorization", "Cookie"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("%q in the log: %q", secret, out.String())
		}
	}
}
