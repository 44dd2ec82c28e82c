package ratelimit

import (
	"testing"
)

// FuzzForwardedHeaders: the forwarding-header parsers never panic, and whatever they
// return is a valid address.
func FuzzForwardedHeaders(f *testing.F) {
	proxies, _ := ParseTrustedProxies([]string{"0.0.0.0/0", "::/0"})
	for _, s := range []string{"1.2.3.4", "1.2.3.4, 5.6.7.8", `for="[::1]:80";by=x`, ",,,", "for=", "[", "::ffff:1.2.3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, name := range []string{"X-Forwarded-For", "Forwarded"} {
			if a := proxies.ClientIP(requestFrom("10.0.0.1", name, v)); !a.IsValid() {
				t.Fatalf("%s %q: invalid address", name, v)
			}
		}
	})
}
