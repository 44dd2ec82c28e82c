package ratelimit

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/header"
)

// TrustedProxies is the set of peers whose X-Forwarded-For / Forwarded headers are
// believed (DJANGO_BOLT["TRUSTED_PROXIES"]). From anyone else those headers are ignored:
// a client could otherwise pick its own rate-limit key.
type TrustedProxies struct {
	prefixes []netip.Prefix
}

// ParseTrustedProxies accepts addresses ("10.0.0.1") and networks ("10.0.0.0/8").
func ParseTrustedProxies(list []string) (*TrustedProxies, error) {
	t := &TrustedProxies{}
	for _, s := range list {
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q is not an IP address or CIDR network", s)
			}
			t.prefixes = append(t.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is not an IP address or CIDR network", s)
		}
		t.prefixes = append(t.prefixes, netip.PrefixFrom(p.Addr().Unmap(), p.Bits()).Masked())
	}
	return t, nil
}

func (t *TrustedProxies) trusts(a netip.Addr) bool {
	if t == nil {
		return false
	}
	a = a.Unmap()
	for _, p := range t.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ClientIP is the peer address, unless the peer is a trusted proxy: then the nearest
// address in X-Forwarded-For (or Forwarded, RFC 7239) that is not itself a trusted
// proxy, reading right to left, since only the entries our proxies appended are true.
func (t *TrustedProxies) ClientIP(ctx *fasthttp.RequestCtx) netip.Addr {
	peer := peerAddr(ctx)
	if !t.trusts(peer) {
		return peer
	}
	h := &ctx.Request.Header
	if v := header.Peek(h, "x-forwarded-for"); len(v) > 0 {
		if a, ok := t.fromList(v, parseXFFItem); ok {
			return a
		}
	} else if v := header.Peek(h, "forwarded"); len(v) > 0 {
		if a, ok := t.fromList(v, parseForwardedItem); ok {
			return a
		}
	}
	return peer
}

func peerAddr(ctx *fasthttp.RequestCtx) netip.Addr {
	if a, ok := ctx.RemoteAddr().(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			return ip.Unmap()
		}
	}
	return netip.IPv4Unspecified()
}

// fromList walks a comma-separated header right to left. An unparsable entry stops the
// walk: what lies left of it cannot be trusted either.
func (t *TrustedProxies) fromList(v []byte, parse func([]byte) (netip.Addr, bool)) (netip.Addr, bool) {
	var last netip.Addr
	found := false
	for len(v) > 0 {
		item := v
		if i := bytes.LastIndexByte(v, ','); i >= 0 {
			item, v = v[i+1:], v[:i]
		} else {
			v = nil
		}
		a, ok := parse(bytes.TrimSpace(item))
		if !ok {
			break
		}
		last, found = a, true
		if !t.trusts(a) {
			return a, true
		}
	}
	return last, found
}

// parseXFFItem reads one X-Forwarded-For entry: an IP, possibly with a port.
func parseXFFItem(b []byte) (netip.Addr, bool) {
	return parseHostPort(string(b))
}

// parseForwardedItem reads the for= parameter of one Forwarded element (RFC 7239 4):
// for=192.0.2.60, for="[2001:db8::1]:4711"; obfuscated or "unknown" nodes do not parse.
func parseForwardedItem(b []byte) (netip.Addr, bool) {
	for pair := range bytes.SplitSeq(b, []byte{';'}) {
		k, v, ok := bytes.Cut(bytes.TrimSpace(pair), []byte{'='})
		if !ok || !bytes.EqualFold(bytes.TrimSpace(k), []byte("for")) {
			continue
		}
		s := strings.Trim(string(bytes.TrimSpace(v)), `"`)
		return parseHostPort(s)
	}
	return netip.Addr{}, false
}

func parseHostPort(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}
