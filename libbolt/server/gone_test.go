package server

import (
	"net"
	"testing"
	"time"
)

// tcpPair returns the server side of a loopback connection, wrapped as the server wraps
// accepted connections, and the client side.
func tcpPair(t *testing.T) (*countedConn, *net.TCPConn) {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.DialTCP("tcp", nil, ln.Addr().(*net.TCPAddr))
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.AcceptTCP()
	if err != nil {
		t.Fatal(err)
	}
	c := &countedConn{Conn: &lingerConn{TCPConn: server}, l: &capListener{}}
	t.Cleanup(func() { c.Close(); client.Close() })
	return c, client
}

func eventually(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPeerGone(t *testing.T) {
	t.Parallel()
	t.Run("open, then closed", func(t *testing.T) {
		t.Parallel()
		c, client := tcpPair(t)
		gone := c.goneFunc()
		if gone == nil || gone() {
			t.Fatal("an open connection counts as gone")
		}
		if _, err := client.Write([]byte("GET / HTTP/1.1\r\n")); err != nil { // pipelined bytes
			t.Fatal(err)
		}
		if gone() {
			t.Fatal("pipelined input counts as gone")
		}
		buf := make([]byte, 64)
		if n, _ := c.Read(buf); n == 0 { // the peek consumed nothing
			t.Fatal("pipelined bytes were lost")
		}
		client.Close()
		eventually(t, gone, "closed client seen as gone")
	})
	t.Run("reset", func(t *testing.T) {
		t.Parallel()
		c, client := tcpPair(t)
		_ = client.SetLinger(0)
		client.Close()
		eventually(t, c.goneFunc(), "reset client seen as gone")
	})
}
