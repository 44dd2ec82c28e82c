// Package cors answers CORS preflights and adds CORS headers (Fetch standard, 3.2): each
// policy is configured by a plain struct (decoded from the start-up JSON), compiled once
// with every header value prebuilt, and only looked up on the hot path.
package cors

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/header"
)

// Config is one CORS policy as configured in Python: the global one comes from the
// django-cors-headers settings (CORS_ALLOWED_ORIGINS, ...), a per-route one from @cors(...).
// A nil list means the default.
type Config struct {
	AllowedOrigins       []string `json:"allowed_origins"`        // exact "scheme://host[:port]" values
	AllowedOriginRegexes []string `json:"allowed_origin_regexes"` // matched from the start, as Python's re.match
	AllowAllOrigins      bool     `json:"allow_all_origins"`
	AllowCredentials     bool     `json:"allow_credentials"`
	AllowMethods         []string `json:"allow_methods"`  // default DELETE, GET, OPTIONS, PATCH, POST, PUT
	AllowHeaders         []string `json:"allow_headers"`  // default accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with
	ExposeHeaders        []string `json:"expose_headers"` // default none
	MaxAge               *int     `json:"max_age"`        // preflight cache seconds, default 86400; 0 omits the header
}

// Defaults shared with django-cors-headers, so that moving a project over keeps its policy.
var (
	DefaultMethods = []string{"DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT"}
	DefaultHeaders = []string{"accept", "authorization", "content-type", "user-agent", "x-csrftoken", "x-requested-with"}
)

// DefaultMaxAge is the default Access-Control-Max-Age in seconds.
const DefaultMaxAge = 86400

// Policy is a compiled policy: every header value is built once, at start-up.
type Policy struct {
	origins     map[string]struct{}
	regexes     []*regexp.Regexp
	allowAll    bool
	credentials bool
	methods     []byte
	headers     []byte
	expose      []byte
	maxAge      []byte
}

// Header names as written on the wire.
var (
	hAllowOrigin      = []byte("Access-Control-Allow-Origin")
	hAllowCredentials = []byte("Access-Control-Allow-Credentials")
	hAllowMethods     = []byte("Access-Control-Allow-Methods")
	hAllowHeaders     = []byte("Access-Control-Allow-Headers")
	hExposeHeaders    = []byte("Access-Control-Expose-Headers")
	hMaxAge           = []byte("Access-Control-Max-Age")
	vOrigin           = []byte("Origin")
	vTrue             = []byte("true")
	vStar             = []byte("*")
)

// Compile validates c and precomputes its header values. Credentials together with
// "allow all origins" are allowed: the origin is then echoed instead of "*", which the
// Fetch standard refuses on credentialed requests.
func Compile(c *Config) (*Policy, error) {
	p := &Policy{origins: map[string]struct{}{}, allowAll: c.AllowAllOrigins, credentials: c.AllowCredentials}
	for _, o := range c.AllowedOrigins {
		if err := checkOrigin(o); err != nil {
			return nil, err
		}
		p.origins[o] = struct{}{}
	}
	for _, expr := range c.AllowedOriginRegexes {
		re, err := regexp.Compile("^(?:" + expr + ")")
		if err != nil {
			return nil, fmt.Errorf("CORS origin regex %q: %w", expr, err)
		}
		p.regexes = append(p.regexes, re)
	}
	methods := c.AllowMethods
	if methods == nil {
		methods = DefaultMethods
	}
	for _, m := range methods {
		if !header.IsToken(m) {
			return nil, fmt.Errorf("CORS method %q is not a valid HTTP method name", m)
		}
	}
	headers := c.AllowHeaders
	if headers == nil {
		headers = DefaultHeaders
	}
	for _, list := range [][]string{headers, c.ExposeHeaders} {
		for _, h := range list {
			if !header.IsToken(h) {
				return nil, fmt.Errorf("CORS header name %q is not a valid header name", h)
			}
		}
	}
	maxAge := DefaultMaxAge
	if c.MaxAge != nil {
		maxAge = *c.MaxAge
	}
	if maxAge < 0 {
		return nil, fmt.Errorf("CORS max age must be >= 0, got %d", maxAge)
	}
	upper := make([]string, len(methods))
	for i, m := range methods {
		upper[i] = strings.ToUpper(m)
	}
	p.methods = []byte(strings.Join(upper, ", "))
	p.headers = []byte(strings.Join(headers, ", "))
	p.expose = []byte(strings.Join(c.ExposeHeaders, ", "))
	if maxAge > 0 {
		p.maxAge = strconv.AppendInt(nil, int64(maxAge), 10)
	}
	return p, nil
}

// checkOrigin accepts what a browser sends in Origin: "null" or scheme://host[:port]
// without a path. A typo such as a trailing slash would otherwise never match, silently.
func checkOrigin(o string) error {
	if o == "null" {
		return nil
	}
	scheme, rest, ok := strings.Cut(o, "://")
	if !ok || scheme == "" || rest == "" || strings.ContainsAny(rest, "/?#") || strings.ContainsAny(o, " \t\r\n") {
		return fmt.Errorf("CORS allowed origin %q must look like \"https://example.com[:port]\" (no path, no trailing slash)", o)
	}
	return nil
}

// Allows reports whether origin is allowed by the policy (WebSocket upgrades check the
// global policy with it).
func (p *Policy) Allows(origin []byte) bool { return p.allows(origin) }

// allows reports whether origin may read responses.
func (p *Policy) allows(origin []byte) bool {
	if p.allowAll {
		return true
	}
	if _, ok := p.origins[string(origin)]; ok {
		return true
	}
	for _, re := range p.regexes {
		if re.Match(origin) {
			return true
		}
	}
	return false
}

// setOrigin writes Access-Control-Allow-Origin (and credentials) for an allowed origin.
// With credentials the origin is echoed: browsers refuse "*" on credentialed requests.
func (p *Policy) setOrigin(h *fasthttp.ResponseHeader, origin []byte) {
	if p.allowAll && !p.credentials {
		h.SetBytesKV(hAllowOrigin, vStar)
	} else {
		h.SetBytesKV(hAllowOrigin, origin)
	}
	if p.credentials {
		h.SetBytesKV(hAllowCredentials, vTrue)
	}
}

// Apply adds the CORS headers of an actual (non-preflight) response. origin is the
// request's Origin header; nil means the request is not cross-origin and nothing is added.
func (p *Policy) Apply(h *fasthttp.ResponseHeader, origin []byte) {
	if origin == nil {
		return
	}
	// The answer depends on Origin even when it is refused, so caches must key on it.
	addVary(h)
	if !p.allows(origin) {
		return
	}
	p.setOrigin(h, origin)
	if len(p.expose) > 0 {
		h.SetBytesKV(hExposeHeaders, p.expose)
	}
}

// Preflight answers an OPTIONS preflight (Fetch standard, "CORS protocol") for a route
// that exists: 204 No Content (as django-cors-headers and django-bolt answer), and the
// CORS headers only if the origin is allowed.
func (p *Policy) Preflight(ctx *fasthttp.RequestCtx, origin []byte) {
	ctx.Response.ResetBody()
	ctx.SetStatusCode(fasthttp.StatusNoContent)
	h := &ctx.Response.Header
	addVary(h)
	if !p.allows(origin) {
		return
	}
	p.setOrigin(h, origin)
	h.SetBytesKV(hAllowMethods, p.methods)
	h.SetBytesKV(hAllowHeaders, p.headers)
	if p.maxAge != nil {
		h.SetBytesKV(hMaxAge, p.maxAge)
	}
}

func addVary(h *fasthttp.ResponseHeader) { header.AddVary(h, vOrigin) }
