package server

import (
	"net"
	"testing"
	"time"
)

func TestConnGone(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	defer ln.Close()
	accept := func() (client net.Conn, server net.Conn) {
		t.Helper()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatalf("Dial: %v", err)
		}
		s, err := lingerListener{ln}.Accept()
		if err != nil {
			t.Fatalf("Accept: %v", err)
		}
		return c, &countedConn{Conn: s, l: &capListener{}}
	}

	c, s := accept()
	if connGone(s) {
		t.Fatalf("an open, quiet connection counts as gone")
	}
	if _, err := c.Write([]byte("GET /next HTTP/1.1\r\n")); err != nil { // pipelined bytes
		t.Fatalf("Write: %v", err)
	}
	time.Sleep(10 * time.Millisecond)
	if connGone(s) {
		t.Fatalf("a connection with unread bytes counts as gone")
	}
	c.Close()
	s.Close()

	c, s = accept()
	defer s.Close()
	c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for !connGone(s) {
		if time.Now().After(deadline) {
			t.Fatalf("a connection the client closed is never reported gone")
		}
		time.Sleep(5 * time.Millisecond)
	}

	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if connGone(a) {
		t.Fatalf("a non-socket connection counts as gone")
	}
}
