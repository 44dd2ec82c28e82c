package server

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// corpusCase is one entry of tests/corpus/http/cases.json (also run by the e2e suite).
type corpusCase struct {
	Name     string `json:"name"`
	Request  string `json:"request"` // Latin-1: one character per byte
	Statuses []int  `json:"statuses"`
	// Then, when set, is sent on the same connection once the replies to Request were
	// read (a later, not pipelined, request); ThenStatuses are its replies.
	Then         string `json:"then"`
	ThenStatuses []int  `json:"then_statuses"`
	Close        bool   `json:"close"`
}

func loadCorpus(t testing.TB) []corpusCase {
	t.Helper()
	data, err := os.ReadFile("../../tests/corpus/http/cases.json")
	if err != nil {
		t.Fatalf("corpus: %v", err)
	}
	var cases []corpusCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatalf("corpus: %v", err)
	}
	return cases
}

func latin1(s string) []byte {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = append(b, byte(r))
	}
	return b
}

// TestWireCorpus runs the framing, smuggling and garbage corpus: each reply's status in
// order, nothing served after a refusal, and the connection closed or kept as expected.
func TestWireCorpus(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{Routes: routes(
		router.Route{ID: 1, Method: "GET", Path: "/hello"},
		router.Route{ID: 2, Method: "POST", Path: "/created"},
	)}, func(r *bridge.Request) *bridge.Response {
		if r.Route == 2 {
			return &bridge.Response{Status: 201, ContentType: 1, Body: []byte(`{"created":true}`)}
		}
		return &bridge.Response{Status: 200, ContentType: 1, Body: []byte(`{"message":"hi"}`)}
	})
	for _, tc := range loadCorpus(t) {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			c := ts.dial(t)
			if _, err := c.conn.Write(latin1(tc.Request)); err != nil {
				t.Fatalf("write: %v", err)
			}
			readReplies(t, c, tc.Statuses)
			if tc.Then != "" {
				if _, err := c.conn.Write(latin1(tc.Then)); err != nil {
					t.Fatalf("write: %v", err)
				}
				readReplies(t, c, tc.ThenStatuses)
			}
			if tc.Close {
				assertClosedOrReset(t, c)
				return
			}
			if resp := c.do(t, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"); resp.StatusCode() != 200 {
				t.Fatalf("follow-up on the kept connection: status %d", resp.StatusCode())
			}
		})
	}
}

// readReplies reads one reply per expected status and checks it.
func readReplies(t *testing.T, c *client, statuses []int) {
	t.Helper()
	for i, want := range statuses {
		resp := c.read(t)
		if resp.StatusCode() != want {
			t.Fatalf("reply %d: status %d, want %d (body %q)", i, resp.StatusCode(), want, resp.Body())
		}
		if want >= 400 && !json.Valid(resp.Body()) {
			t.Fatalf("reply %d: error body is not JSON: %q", i, resp.Body())
		}
	}
}

// assertClosedOrReset is assertClosed for requests whose unread bytes the server drops:
// nothing but the end of the stream may follow the expected replies.
func assertClosedOrReset(t *testing.T, c *client) {
	t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	rest, err := io.ReadAll(c.br)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("connection still open after the replies: %v (read %q)", err, rest)
	}
	if len(rest) > 0 {
		t.Fatalf("bytes after the expected replies: %q", rest)
	}
}
