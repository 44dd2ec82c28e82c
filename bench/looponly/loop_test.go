//go:build linux

package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// writers runs test once with replies written by the answerer and once by the loops.
func writers(t *testing.T, test func(t *testing.T, loopWrites bool)) {
	for _, name := range []string{"answerer", "loop"} {
		t.Run(name, func(t *testing.T) { test(t, name == "loop") })
	}
}

func startTest(t *testing.T, loops int, loopWrites bool) string {
	t.Helper()
	s, err := start("127.0.0.1:0", loops, loopWrites)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s.Addr()
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	// A hung server fails the test instead of hanging it (not a timing assertion).
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	return c
}

type want struct {
	status int
	body   string
}

func readReplies(t *testing.T, r *bufio.Reader, wants []want) {
	t.Helper()
	for i, w := range wants {
		resp, err := http.ReadResponse(r, nil)
		if err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			t.Fatalf("reply %d body: %v", i, err)
		}
		if resp.StatusCode != w.status || string(body) != w.body {
			t.Fatalf("reply %d: got %d %s, want %d %s", i, resp.StatusCode, body, w.status, w.body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("reply %d: content type %q", i, ct)
		}
	}
}

// Pipelined requests in one write, a 404 answered by the loop between two answered by the
// bridge: the replies come back in request order.
func TestPipelinedInOrder(t *testing.T) {
	writers(t, func(t *testing.T, loopWrites bool) {
		c := dial(t, startTest(t, 2, loopWrites))
		reqs := "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n" +
			"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n" +
			"GET /items/42?q=abc HTTP/1.1\r\nHost: x\r\n\r\n" +
			"POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}" +
			"POST /bench/struct HTTP/1.1\r\nHost: x\r\nContent-Length: 46\r\n\r\n" +
			`{"id":1,"items":[{"name":"a","qty":2,"price":1.5}]}`[:46] +
			"GET /items/7 HTTP/1.1\r\nHost: x\r\n\r\n"
		if _, err := io.WriteString(c, reqs); err != nil {
			t.Fatal(err)
		}
		readReplies(t, bufio.NewReader(c), []want{
			{200, `{"message":"Hello, World!"}`},
			{404, `{"detail":"Not Found"}`},
			{200, `{"item_id":42,"q":"abc"}`},
			{405, `{"detail":"Method Not Allowed"}`},
			{422, `{"detail":"invalid order"}`},
			{200, `{"item_id":7,"q":null}`},
		})
	})
}

// A request split over several writes (inside the header and inside the body) is
// answered once it is complete; keep-alive serves the next one on the same connection.
func TestSplitRequestsAndKeepAlive(t *testing.T) {
	writers(t, func(t *testing.T, loopWrites bool) {
		c := dial(t, startTest(t, 1, loopWrites))
		r := bufio.NewReader(c)
		order := `{"id":1,"items":[{"name":"a","qty":2,"price":1.25}],"note":null}`
		req := "POST /bench/struct HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
			itoa(len(order)) + "\r\n\r\n" + order
		for _, cut := range []int{10, len(req) - 5} {
			for _, part := range []string{req[:cut], req[cut:]} {
				if _, err := io.WriteString(c, part); err != nil {
					t.Fatal(err)
				}
				time.Sleep(20 * time.Millisecond) // let the server see the parts apart
			}
			readReplies(t, r, []want{{200, `{"ok":true,"items":1,"total":2.5}`}})
		}
	})
}

// Connection: close gets its reply, then the server closes the connection.
func TestConnectionClose(t *testing.T) {
	writers(t, func(t *testing.T, loopWrites bool) {
		c := dial(t, startTest(t, 1, loopWrites))
		if _, err := io.WriteString(c, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(c)
		readReplies(t, r, []want{{200, `{"message":"Hello, World!"}`}})
		if rest, err := io.ReadAll(r); err != nil || len(rest) != 0 {
			t.Fatalf("after the reply: %q, %v (want EOF)", rest, err)
		}
	})
}

// Many connections at once, each pipelining a few requests.
func TestManyConnections(t *testing.T) {
	writers(t, func(t *testing.T, loopWrites bool) {
		addr := startTest(t, 2, loopWrites)
		const conns, depth = 50, 8
		done := make(chan error, conns)
		for i := 0; i < conns; i++ {
			c := dial(t, addr)
			go func() {
				_, err := io.WriteString(c, strings.Repeat("GET /items/5?q=x HTTP/1.1\r\nHost: x\r\n\r\n", depth))
				r := bufio.NewReader(c)
				for j := 0; j < depth && err == nil; j++ {
					var resp *http.Response
					if resp, err = http.ReadResponse(r, nil); err == nil {
						var body []byte
						body, err = io.ReadAll(resp.Body)
						if err == nil && string(body) != `{"item_id":5,"q":"x"}` {
							err = io.ErrUnexpectedEOF
						}
					}
				}
				done <- err
			}()
		}
		for i := 0; i < conns; i++ {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
	})
}

func itoa(n int) string {
	s := ""
	for {
		s = string(rune('0'+n%10)) + s
		if n /= 10; n == 0 {
			return s
		}
	}
}
