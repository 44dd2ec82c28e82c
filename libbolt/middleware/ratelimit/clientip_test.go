package ratelimit

import (
	"testing"
)

func TestClientIP(t *testing.T) {
	t.Parallel()
	proxies, err := ParseTrustedProxies([]string{"10.0.0.0/8", "2001:db8::1"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		peer    string
		headers []string
		want    string
	}{
		{"untrusted peer: header ignored", "198.51.100.7", []string{"X-Forwarded-For", "1.2.3.4"}, "198.51.100.7"},
		{"trusted peer", "10.1.2.3", []string{"X-Forwarded-For", "1.2.3.4"}, "1.2.3.4"},
		{"rightmost untrusted wins", "10.1.2.3", []string{"X-Forwarded-For", "6.6.6.6, 1.2.3.4, 10.9.9.9"}, "1.2.3.4"},
		{"all trusted: leftmost", "10.1.2.3", []string{"X-Forwarded-For", "10.0.0.5, 10.0.0.6"}, "10.0.0.5"},
		{"garbage stops the walk", "10.1.2.3", []string{"X-Forwarded-For", "1.1.1.1, nonsense"}, "10.1.2.3"},
		{"port in xff", "10.1.2.3", []string{"X-Forwarded-For", "1.2.3.4:5555"}, "1.2.3.4"},
		{"forwarded", "10.1.2.3", []string{"Forwarded", `for=192.0.2.60;proto=http, for="[2001:db8::7]:4711"`}, "2001:db8::7"},
		{"forwarded unknown", "10.1.2.3", []string{"Forwarded", "for=unknown"}, "10.1.2.3"},
		{"ipv6 trusted peer", "2001:db8::1", []string{"X-Forwarded-For", "203.0.113.9"}, "203.0.113.9"},
		{"v4-mapped peer", "::ffff:10.0.0.1", []string{"X-Forwarded-For", "203.0.113.9"}, "203.0.113.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := proxies.ClientIP(requestFrom(tt.peer, tt.headers...)).String(); got != tt.want {
				t.Fatalf("ClientIP = %s, want %s", got, tt.want)
			}
		})
	}
	if _, err := ParseTrustedProxies([]string{"10.0.0.0/33"}); err == nil {
		t.Fatal("bad CIDR accepted")
	}
	if _, err := ParseTrustedProxies([]string{"proxy.local"}); err == nil {
		t.Fatal("host name accepted")
	}
}
