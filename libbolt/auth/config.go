// Package auth authenticates requests in Go (JWT, API keys) and evaluates the built-in
// guards on the result, before any Python runs. Everything is compiled once at start-up;
// per request a route only pays for the backends and guards it declared.
package auth

import (
	"fmt"
	"time"

	"github.com/valyala/fasthttp"
)

// BackendConfig is one authentication backend as configured in Python
// (django_bolt.auth.JWTAuthentication, APIKeyAuthentication, SessionAuthentication).
type BackendConfig struct {
	Type string `json:"type"` // "jwt", "api_key" or "session" (evaluated in Python)

	// JWT. Secret is the HMAC key (HS*), PublicKey a PEM key (RS*, PS*, ES*, EdDSA).
	Secret     string   `json:"secret"`
	PublicKey  string   `json:"public_key"`
	Algorithms []string `json:"algorithms"` // allow-list, default ["HS256"]; one key family
	Header     string   `json:"header"`     // default "authorization" (JWT) or "x-api-key"
	Cookie     string   `json:"cookie"`     // read the raw token from this cookie instead
	Audience   string   `json:"audience"`
	Issuer     string   `json:"issuer"`
	LeewaySec  float64  `json:"leeway"`      // clock skew allowed on exp/nbf, seconds
	RequireJTI bool     `json:"require_jti"` // set when a revocation list is used
	// ShortSecretOK accepts an HS* secret under MinHMACSecret: Python sets it only with
	// Django's DEBUG on (and warns), so development secrets of django-bolt projects work.
	ShortSecretOK bool `json:"short_secret_ok"`
	// CookieCSRFOff turns off the same-origin check of cookie tokens on unsafe methods
	// (JWTAuthentication(cookie_csrf=False)); the check is on by default, as in django-bolt.
	CookieCSRFOff bool     `json:"cookie_csrf_off"`
	Revoked       []string `json:"revoked"` // jti values refused from start-up on
	// RevocationID names the Python InMemoryRevocation store that bolt_revoke updates.
	RevocationID int `json:"revocation_id"`
	// RevocationShared: the store is a SharedRevocation, kept in DJANGO_BOLT["STATE"]'s
	// Redis; RevocationTTL is how long a revocation lasts there (seconds).
	RevocationShared bool    `json:"revocation_shared"`
	RevocationTTL    float64 `json:"revocation_ttl"`
	// JWKS is a fixed RFC 7517 key set (JSON); JWKSURL one fetched at start-up and again on
	// an unknown kid, at most every JWKSRefresh seconds (jwks.go). Either replaces the key.
	JWKS        string  `json:"jwks"`
	JWKSURL     string  `json:"jwks_url"`
	JWKSRefresh float64 `json:"jwks_refresh_interval"`
	// OIDCIssuer: find the key set through the issuer's OpenID configuration
	// (/.well-known/openid-configuration, its jwks_uri) at start-up; the issuer is checked.
	OIDCIssuer string `json:"oidc_issuer"`
	// TokenType is the kind of token the backend accepts: "access" (default: refresh and
	// ID tokens are refused) or "refresh" (a rotation endpoint: only refresh tokens).
	TokenType string `json:"token_type"`

	// API keys.
	APIKeys        []string            `json:"api_keys"`
	KeyPermissions map[string][]string `json:"key_permissions"`
}

// GuardConfig is one built-in guard (django_bolt.auth guards).
type GuardConfig struct {
	Type        string   `json:"type"` // see compileGuard
	Permissions []string `json:"permissions"`
	Claim       string   `json:"claim"`
	Values      []any    `json:"values"`
	MatchAll    bool     `json:"match_all"`
}

// RouteConfig is the auth of one route: the backends tried in order (indexes into the
// server's list of backends) and the guards that must all pass.
type RouteConfig struct {
	Backends []int         `json:"backends"`
	Guards   []GuardConfig `json:"guards"`
	// Deferred: the route also has a Python-side backend (session) or custom guards;
	// Go then attaches what it validated but leaves rejecting to Python.
	Deferred bool `json:"deferred"`
}

// Clock returns the current time; tests freeze it.
type Clock func() time.Time

// FixedClock is the clock of the clock_unix test setting.
func FixedClock(unix float64) Clock {
	t := time.Unix(0, int64(unix*float64(time.Second)))
	return func() time.Time { return t }
}

// authenticator is one compiled backend.
type authenticator interface {
	// authenticate returns the identity, or nil and a failure when credentials were
	// presented but are invalid, or nil, nil when this backend found none.
	authenticate(ctx *fasthttp.RequestCtx) (*Identity, *Failure)
	// challenge is this backend's WWW-Authenticate value for a 401 (RFC 9110 11.6.1).
	challenge(f *Failure) []byte
}

// Failure says why presented credentials were refused (RFC 6750 3.1 error codes).
type Failure struct {
	Code        string // "invalid_token" or "invalid_request"
	Description string
}

// Backends is the compiled list of every backend the API uses, indexed as in the config.
type Backends []authenticator

// CompileBackends builds every backend once; bad configuration fails start-up.
func CompileBackends(cfgs []BackendConfig, now Clock) (Backends, error) {
	out := make(Backends, len(cfgs))
	for i := range cfgs {
		c := &cfgs[i]
		var err error
		switch c.Type {
		case "jwt":
			out[i], err = compileJWT(c, now)
		case "api_key":
			out[i], err = compileAPIKey(c)
		case "session":
			out[i] = sessionBackend{}
		default:
			err = fmt.Errorf("unknown authentication backend type %q", c.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("authentication backend %d (%s): %w", i, c.Type, err)
		}
	}
	return out, nil
}

// sessionBackend marks Django session authentication: it needs the session store, so
// Python evaluates it (django_bolt.auth.SessionAuthentication); Go finds nothing.
type sessionBackend struct{}

func (sessionBackend) authenticate(*fasthttp.RequestCtx) (*Identity, *Failure) { return nil, nil }
func (sessionBackend) challenge(*Failure) []byte                               { return nil }
