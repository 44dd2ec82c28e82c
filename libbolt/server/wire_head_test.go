package server

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// A later request of a keep-alive connection whose head lines all end in a bare LF is
// refused at once with 400 and the connection closed, as the first request is (issue 15):
// it used to wait for the read timeout, fasthttp looking for CRLFCRLF. The read timeout
// is set past ioTimeout, so the old behaviour fails the read instead of answering.
func TestWireBareLFLaterRequest(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{ReadTimeoutMs: 60_000, Routes: routes(
		router.Route{ID: 1, Method: "GET", Path: "/hello"},
		router.Route{ID: 2, Method: "POST", Path: "/b"},
	)}, echoAnswer)
	later := map[string]string{
		"every line ends in LF":   "GET /hello HTTP/1.1\nHost: t\n\n",
		"request line ends in LF": "GET /hello HTTP/1.1\nHost: t\r\n\r\n",
		"LF inside CRLF headers":  "GET /hello HTTP/1.1\r\nHost: t\r\nX: a\nY: b\r\n\r\n",
	}
	for name, raw := range later {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := ts.dial(t)
			// Two requests first, one with a body holding bare LFs: a body is no head.
			for _, ok := range []string{
				"POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\na\nb\n\n",
				"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n",
			} {
				if resp := c.do(t, ok); resp.StatusCode() != 200 {
					t.Fatalf("status %d before the bare LF (body %q)", resp.StatusCode(), resp.Body())
				}
			}
			resp := c.do(t, raw)
			if resp.StatusCode() != 400 || !bytes.Contains(resp.Body(), []byte("Bare LF")) || !json.Valid(resp.Body()) {
				t.Fatalf("status %d body %q, want 400 naming the bare LF", resp.StatusCode(), resp.Body())
			}
			assertClosedOrReset(t, c)
		})
	}
}

// Bodies with bare LFs on later and pipelined requests are not mistaken for heads.
func TestWireBareLFInLaterBodies(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{Routes: routes(router.Route{ID: 2, Method: "POST", Path: "/b"})}, echoAnswer)
	c := ts.dial(t)
	post := "POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\n\n\nx\n"
	chunked := "POST /b HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n\nx\n\r\n0\r\n\r\n"
	for i := 0; i < 3; i++ {
		if e := decodeEcho(t, c.do(t, post)); string(e.Body) != "\n\nx\n" {
			t.Fatalf("request %d: body %q", i, e.Body)
		}
		if e := decodeEcho(t, c.do(t, chunked)); string(e.Body) != "\nx\n" {
			t.Fatalf("chunked request %d: body %q", i, e.Body)
		}
	}
	c.send(t, post+chunked+post)
	for i := 0; i < 3; i++ {
		if e := decodeEcho(t, c.read(t)); e.Route != 2 {
			t.Fatalf("pipelined reply %d: route %d", i, e.Route)
		}
	}
}

// A head with a bare LF that arrives in the same read as the requests before it
// (pipelined) is refused with 400 + close once those are answered (issue 15). The old
// scan looked only at the first head of a read: the all-LF head waited for the read
// timeout (set past ioTimeout here, so the read fails), and the one whose only bare LF
// ends its request line was served (200).
func TestWireBareLFPipelined(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Config{ReadTimeoutMs: 60_000, Routes: routes(
		router.Route{ID: 1, Method: "GET", Path: "/hello"},
		router.Route{ID: 2, Method: "POST", Path: "/b"},
	)}, echoAnswer)
	bad := map[string]string{
		"every line ends in LF":   "GET /hello HTTP/1.1\nHost: t\n\n",
		"request line ends in LF": "GET /hello HTTP/1.1\nHost: t\r\n\r\n",
		"LF inside CRLF headers":  "GET /hello HTTP/1.1\r\nHost: t\r\nX: a\nY: b\r\n\r\n",
	}
	// What goes before the bad head in the same write: bodies holding bare LFs are no
	// heads, whether framed by Content-Length or chunked (with an extension and a trailer).
	before := map[string][]string{
		"a GET":                 {"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n"},
		"a Content-Length body": {"POST /b HTTP/1.1\r\nHost: t\r\nContent-length:  5 \r\n\r\na\nb\n\n"},
		"a chunked body": {"POST /b HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"3;ext=1\r\n\nx\n\r\n1\r\n\n\r\n0\r\nX-Trailer: v\r\n\r\n"},
		"three requests": {
			"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n",
			"POST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n\n\n",
			"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n",
		},
	}
	for bname, raw := range bad {
		for pname, reqs := range before {
			t.Run(bname+" after "+pname, func(t *testing.T) {
				t.Parallel()
				c := ts.dial(t)
				all := ""
				for _, r := range reqs {
					all += r
				}
				c.send(t, all+raw)
				for i := range reqs {
					if resp := c.read(t); resp.StatusCode() != 200 {
						t.Fatalf("reply %d: status %d body %q", i, resp.StatusCode(), resp.Body())
					}
				}
				resp := c.read(t)
				if resp.StatusCode() != 400 || !bytes.Contains(resp.Body(), []byte("Bare LF")) || !json.Valid(resp.Body()) {
					t.Fatalf("status %d body %q, want 400 naming the bare LF", resp.StatusCode(), resp.Body())
				}
				assertClosedOrReset(t, c)
			})
		}
	}
}
