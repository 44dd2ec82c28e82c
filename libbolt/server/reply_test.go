package server

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// replyTable answers each request with the reply stored under its query string, so one
// server can serve every case of a table.
func replyTable(replies map[string]bridge.Response) answerFunc {
	return func(r *bridge.Request) *bridge.Response {
		key, _, _ := strings.Cut(string(r.Query), "\x00") // "?case" arrives as "case\x00"
		resp, ok := replies[key]
		if !ok {
			return &bridge.Response{Status: 599, Body: []byte("no such case " + key)}
		}
		return &resp
	}
}

func TestWireRefusesBadReplies(t *testing.T) {
	t.Parallel()
	const injected = "Set-Cookie: evil=1"
	cases := map[string]bridge.Response{
		"status-0":            {Status: 0},
		"status-99":           {Status: 99},
		"status-101":          {Status: 101},
		"status-199":          {Status: 199},
		"status-600":          {Status: 600},
		"status-max":          {Status: 65535},
		"content-type-5":      {Status: 200, ContentType: 5},
		"content-type-255":    {Status: 200, ContentType: 255},
		"cr-in-name":          {Status: 200, Headers: []byte("X-A\r" + injected + "\x00v")},
		"lf-in-value":         {Status: 200, Headers: []byte("X-A\x00v\n" + injected)},
		"crlf-in-value":       {Status: 200, Headers: []byte("X-A\x00v\r\n" + injected + "\r\n")},
		"cr-in-value":         {Status: 200, Headers: []byte("X-A\x00v\r" + injected)},
		"colon-in-name":       {Status: 200, Headers: []byte("X-A: " + injected + "\x00v")},
		"space-in-name":       {Status: 200, Headers: []byte("X A\x00v")},
		"empty-name":          {Status: 200, Headers: []byte("\x00v")},
		"non-ascii-name":      {Status: 200, Headers: []byte("X-\xc3\xa9\x00v")},
		"name-without-value":  {Status: 200, Headers: []byte("X-A")},
		"good-then-bad":       {Status: 200, Headers: []byte("X-Good\x00ok\x00X-Bad\x00v\r\n" + injected)},
		"bad-after-body-type": {Status: 200, ContentType: 1, Headers: []byte("\x00"), Body: []byte("{}")},
	}
	ts := startServer(t, Config{Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/r"})}, replyTable(cases))
	for name := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := ts.dial(t)
			resp := c.do(t, "GET /r?"+name+" HTTP/1.1\r\nHost: t\r\n\r\n")
			assertJSONError(t, resp, 500, "Internal Server Error")
			if resp.Header.Peek("X-Good") != nil || resp.Header.Peek("X-A") != nil {
				t.Fatalf("headers of a refused reply were sent: %q", resp.Header.String())
			}
			if bytes.Contains(c.raw.Bytes(), []byte("evil")) {
				t.Fatalf("injected bytes reached the wire: %q", c.raw.String())
			}
			// The refusal is a normal response: the connection stays usable.
			if e := c.do(t, "GET /r?status-0 HTTP/1.1\r\nHost: t\r\n\r\n"); e.StatusCode() != 500 {
				t.Fatalf("second request on the connection: status %d", e.StatusCode())
			}
		})
	}
}

func TestWireReplies(t *testing.T) {
	t.Parallel()
	cases := map[string]bridge.Response{
		"ct-0":   {Status: 200, Body: []byte("raw")},
		"ct-1":   {Status: 200, ContentType: 1, Body: []byte(`{"a":1}`)},
		"ct-2":   {Status: 200, ContentType: 2, Body: []byte("text")},
		"ct-3":   {Status: 200, ContentType: 3, Body: []byte{0, 1, 2}},
		"ct-4":   {Status: 200, ContentType: 4, Body: []byte("<p>")},
		"ct-hdr": {Status: 200, Headers: []byte("Content-Type\x00image/png"), Body: []byte("png")},
		"status": {Status: 201, ContentType: 1, Body: []byte("{}")},
		"599":    {Status: 599, Body: []byte("edge")},
		"multi":  {Status: 200, Headers: []byte("X-A\x00one\x00X-A\x00two\x00X-Empty\x00\x00X-Tab\x00a\tb")},
		"trail":  {Status: 200, Headers: []byte("X-Last\x00v\x00")},
		// A handler that sets framing headers must not desynchronise the connection.
		"length":  {Status: 200, Headers: []byte("Content-Length\x002"), Body: []byte("hello")},
		"chunked": {Status: 200, Headers: []byte("Transfer-Encoding\x00chunked"), Body: []byte("hello")},
		"204":     {Status: 204},
	}
	ts := startServer(t, Config{Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/r"})}, replyTable(cases))
	tests := []struct {
		name        string
		status      int
		contentType string // "-" means no Content-Type header at all
		body        string
		headers     map[string][]string
	}{
		{"ct-0", 200, "-", "raw", nil},
		{"ct-1", 200, "application/json", `{"a":1}`, nil},
		{"ct-2", 200, "text/plain; charset=utf-8", "text", nil},
		{"ct-3", 200, "application/octet-stream", "\x00\x01\x02", nil},
		{"ct-4", 200, "text/html; charset=utf-8", "<p>", nil},
		{"ct-hdr", 200, "image/png", "png", nil},
		{"status", 201, "application/json", "{}", nil},
		{"599", 599, "-", "edge", nil},
		{"multi", 200, "-", "", map[string][]string{"X-A": {"one", "two"}, "X-Empty": {""}, "X-Tab": {"a\tb"}}},
		{"trail", 200, "-", "", map[string][]string{"X-Last": {"v"}}},
		{"length", 200, "-", "hello", nil},
		{"chunked", 200, "-", "hello", nil},
		{"204", 204, "-", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ts.dial(t)
			resp := c.do(t, "GET /r?"+tt.name+" HTTP/1.1\r\nHost: t\r\n\r\n")
			if resp.StatusCode() != tt.status || string(resp.Body()) != tt.body {
				t.Fatalf("status %d body %q, want %d %q", resp.StatusCode(), resp.Body(), tt.status, tt.body)
			}
			// fasthttp's parser reports a default Content-Type when there is none: look at
			// the bytes on the wire instead.
			head, _, _ := strings.Cut(c.raw.String(), "\r\n\r\n")
			if tt.contentType == "-" {
				if strings.Contains(strings.ToLower(head), "\r\ncontent-type:") {
					t.Fatalf("unexpected Content-Type in %q", head)
				}
			} else if ct := string(resp.Header.ContentType()); ct != tt.contentType {
				t.Fatalf("Content-Type %q, want %q", ct, tt.contentType)
			}
			for name, want := range tt.headers {
				var got []string
				for _, v := range resp.Header.PeekAll(name) {
					got = append(got, string(v))
				}
				if strings.Join(got, "|") != strings.Join(want, "|") {
					t.Fatalf("%s = %q, want %q", name, got, want)
				}
			}
			// The connection is still in step: a second request gets its own reply.
			if again := c.do(t, "GET /r?ct-2 HTTP/1.1\r\nHost: t\r\n\r\n"); string(again.Body()) != "text" {
				t.Fatalf("next reply on the connection: %q (wire %q)", again.Body(), c.raw.String())
			}
		})
	}
}

// Replies hand their body buffer to fasthttp (SwapBody) and take fasthttp's old one back:
// bodies of every size, on slots and connections reused in any order, must arrive intact.
func TestWireReplyBodiesOfMixedSizesStayIntact(t *testing.T) {
	t.Parallel()
	answer := func(r *bridge.Request) *bridge.Response {
		size, _ := strconv.Atoi(strings.TrimSuffix(string(r.Query), "\x00"))
		return &bridge.Response{Status: 200, ContentType: 3, Body: sizedBody(size)}
	}
	ts := startServer(t, Config{Routes: routes(router.Route{ID: 1, Method: "GET", Path: "/r"})}, answer)
	sizes := []int{10015, 0, 5, 70000, 4096, 16 << 10, 3, 40000, 1}
	for conn := range 4 {
		t.Run("conn-"+strconv.Itoa(conn), func(t *testing.T) {
			t.Parallel()
			c := ts.dial(t)
			for i := range 3 * len(sizes) {
				size := sizes[(i+conn)%len(sizes)]
				resp := c.do(t, "GET /r?"+strconv.Itoa(size)+" HTTP/1.1\r\nHost: t\r\n\r\n")
				if !bytes.Equal(resp.Body(), sizedBody(size)) {
					t.Fatalf("request %d: body of %d bytes is not the %d-byte reply", i, len(resp.Body()), size)
				}
			}
		})
	}
}

// sizedBody is n bytes whose content depends on n, so a body mixed up with another
// reply's shows.
func sizedBody(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + (i+n)%26)
	}
	return b
}
