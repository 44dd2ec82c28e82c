package server

import (
	"bytes"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/httperr"
)

// Django's ALLOWED_HOSTS, applied by Go to every request it serves (Python sends the list
// only when it does not allow every host), and the rule for absolute-form targets.

var (
	badHostBody   = httperr.Body("Invalid Host header: the host is not in ALLOWED_HOSTS")
	foreignTarget = httperr.Body("The request target names another host than the Host header")
)

// hostMatcher holds ALLOWED_HOSTS compiled: exact names and ".domain" patterns (the
// domain and every subdomain), lower case, as django.http.request.validate_host reads them.
type hostMatcher struct {
	exact    map[string]struct{}
	suffixes []string // ".example.com"
}

func newHostMatcher(patterns []string) *hostMatcher {
	m := &hostMatcher{exact: map[string]struct{}{}}
	for _, p := range patterns {
		// ASCII lower case, as hostName lowers the request's host (strings.ToLower would
		// turn a stray non-UTF-8 byte into U+FFFD and never match; found by FuzzHostChecks).
		p = string(asciiLower([]byte(p), nil))
		if strings.HasPrefix(p, ".") {
			m.suffixes = append(m.suffixes, p)
			m.exact[p[1:]] = struct{}{}
		} else {
			m.exact[p] = struct{}{}
		}
	}
	return m
}

// allows reports whether the Host value (with an optional port) is allowed.
func (m *hostMatcher) allows(host []byte) bool {
	var buf [256]byte
	name := hostName(host, buf[:0])
	if len(name) == 0 {
		return false
	}
	if _, ok := m.exact[string(name)]; ok { // no allocation: map lookup of string(bytes)
		return true
	}
	for _, s := range m.suffixes {
		if bytes.HasSuffix(name, []byte(s)) {
			return true
		}
	}
	return false
}

// hostName is the host of a Host value without its port and trailing dot, lower case
// (Django's split_domain_port). An IPv6 literal keeps its brackets.
func hostName(host, dst []byte) []byte {
	if len(host) > 0 && host[0] == '[' {
		if i := bytes.IndexByte(host, ']'); i > 0 {
			host = host[:i+1]
		}
	} else if i := bytes.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return asciiLower(bytes.TrimSuffix(host, []byte(".")), dst)
}

func asciiLower(b, dst []byte) []byte {
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// absoluteAuthority returns the authority of an absolute-form request target
// ("http://host:port/path"), or nil for the usual origin-form ("/path").
func absoluteAuthority(target []byte) []byte {
	if len(target) == 0 || target[0] == '/' || target[0] == '*' {
		return nil
	}
	i := bytes.Index(target, []byte("://"))
	if i <= 0 {
		return nil
	}
	rest := target[i+3:]
	if j := bytes.IndexAny(rest, "/?#"); j >= 0 {
		rest = rest[:j]
	}
	if j := bytes.LastIndexByte(rest, '@'); j >= 0 {
		rest = rest[j+1:] // userinfo
	}
	return rest
}

// checkHost refuses a request for another host: an absolute-form target whose host is
// not the Host header's (RFC 9112 3.2.2 lets the target win; we serve one origin), and a
// host outside ALLOWED_HOSTS. Returns false once it answered 400.
func (s *Server) checkHost(ctx *fasthttp.RequestCtx, host []byte) bool {
	if auth := absoluteAuthority(ctx.Request.Header.RequestURI()); auth != nil {
		var a, b [256]byte
		if !bytes.Equal(hostName(auth, a[:0]), hostName(host, b[:0])) {
			httperr.Write(ctx, fasthttp.StatusBadRequest, foreignTarget)
			return false
		}
	}
	if s.hosts != nil && host != nil && !s.hosts.allows(host) {
		httperr.Write(ctx, fasthttp.StatusBadRequest, badHostBody)
		return false
	}
	return true
}
