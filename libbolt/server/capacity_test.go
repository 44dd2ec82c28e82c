package server

import (
	"net"
	"testing"
)

// The access log's client_ip is what fasthttp's RemoteIP says, read once per connection.
func TestPeerOf(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 1}, "127.0.0.1"},
		{&net.TCPAddr{IP: net.IPv4(10, 0, 0, 7).To4(), Port: 1}, "10.0.0.7"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 1}, "2001:db8::1"},
		{&net.UnixAddr{Name: "/tmp/s", Net: "unix"}, "0.0.0.0"},
	} {
		if got := peerOf(tt.addr).String(); got != tt.want {
			t.Errorf("peerOf(%v) = %s, want %s", tt.addr, got, tt.want)
		}
	}
}
