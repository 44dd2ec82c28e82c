package auth

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/header"
)

// MaxTokenBytes bounds a token before any decoding: a megabyte of dots or base64 must
// cost a length check, not a parse.
const MaxTokenBytes = 8 << 10

// MinHMACSecret is the shortest HS* secret accepted (RFC 7518 3.2: a key at least as
// long as the hash output; 32 bytes for HS256).
const MinHMACSecret = 32

// jwtBackend validates bearer tokens with one key and an explicit algorithm allow-list.
type jwtBackend struct {
	parser *jwt.Parser
	key    any
	keys   *keySet // a JWKS: the token's kid picks the key (key is then nil)
	// refreshOnly: a rotation endpoint's backend, accepting refresh tokens only
	refreshOnly bool
	header      string // lower-case header name; "" when the token comes from a cookie
	cookie      string
	// cookieCSRF: cookie tokens on unsafe methods must come from the same origin
	cookieCSRF bool
	bearer     bool // the header value is "Bearer <token>" (Authorization)
	realm      []byte
	revoked    *Revocations
	requireID  bool
	storeID    int           // Python InMemoryRevocation id, 0 for none
	sharedTTL  time.Duration // SharedRevocation: default lifetime in Redis; 0: not shared
	cache      *tokenCache
	clock      Clock // nil: time.Now
	leeway     time.Duration
}

// mayBlock: a key set fetched from a URL or revocations kept in Redis (Route.MayBlock).
func (b *jwtBackend) mayBlock() bool {
	return b.sharedTTL > 0 || b.keys != nil && b.keys.url != ""
}

func compileJWT(c *BackendConfig, now Clock) (*jwtBackend, error) {
	algs := c.Algorithms
	if len(algs) == 0 {
		algs = []string{"HS256"}
	}
	if c.OIDCIssuer != "" {
		if c.JWKS != "" || c.JWKSURL != "" {
			return nil, errors.New("oidc_issuer finds the key set: give it or jwks/jwks_url, not both")
		}
		if c.Issuer != "" && c.Issuer != c.OIDCIssuer {
			return nil, errors.New("issuer and oidc_issuer differ")
		}
		u, err := discoverJWKS(c.OIDCIssuer)
		if err != nil {
			return nil, err
		}
		cc := *c // the caller's config stays as given
		cc.JWKSURL, cc.Issuer = u, c.OIDCIssuer
		c = &cc
	}
	family := ""
	families := map[string]bool{}
	keySetGiven := c.JWKS != "" || c.JWKSURL != ""
	for _, a := range algs {
		f := algFamily(a)
		if f == "" {
			return nil, fmt.Errorf("algorithm %q is not supported (use HS256/384/512, RS*, PS*, ES*, EdDSA; never none)", a)
		}
		// A key set holds one key per kid, so its algorithms may span families; a single
		// key has one family.
		if family != "" && f != family && !keySetGiven {
			return nil, fmt.Errorf("algorithms %v mix key families: one backend has one key", algs)
		}
		family = f
		families[f] = true
	}
	var key any
	var keys *keySet
	var err error
	switch {
	case c.JWKS != "" && c.JWKSURL != "":
		return nil, errors.New("give jwks or jwks_url, not both")
	case keySetGiven && families["hmac"]:
		return nil, errors.New("a JWKS holds public keys: use RS*, PS*, ES* or EdDSA algorithms with it")
	case keySetGiven && (c.Secret != "" || c.PublicKey != ""):
		return nil, errors.New("a JWKS replaces secret/public_key: give one or the other")
	case keySetGiven:
		keys, err = newKeySet(c.JWKS, c.JWKSURL, families, c.JWKSRefresh)
	default:
		key, err = parseKey(family, c)
	}
	if err != nil {
		return nil, err
	}
	switch c.TokenType {
	case "", "access", "refresh":
	default:
		return nil, fmt.Errorf("token_type %q: use \"access\" or \"refresh\"", c.TokenType)
	}
	if c.LeewaySec < 0 {
		return nil, errors.New("leeway must be >= 0 seconds")
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(algs),
		jwt.WithExpirationRequired(),
		jwt.WithLeeway(time.Duration(c.LeewaySec * float64(time.Second))),
		jwt.WithJSONNumber(),
	}
	if now != nil {
		opts = append(opts, jwt.WithTimeFunc(now))
	}
	if c.Audience != "" {
		opts = append(opts, jwt.WithAudience(c.Audience))
	}
	if c.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(c.Issuer))
	}
	b := &jwtBackend{parser: jwt.NewParser(opts...), key: key, keys: keys, refreshOnly: c.TokenType == "refresh", cookie: c.Cookie, cookieCSRF: !c.CookieCSRFOff, requireID: c.RequireJTI,
		cache: newTokenCache(), clock: now, leeway: time.Duration(c.LeewaySec * float64(time.Second))}
	if c.Cookie == "" {
		b.header = strings.ToLower(c.Header)
		if b.header == "" {
			b.header = "authorization"
		}
		b.bearer = b.header == "authorization"
	}
	b.realm = []byte(`Bearer realm="api"`)
	if len(c.Revoked) > 0 || c.RevocationID > 0 {
		b.revoked = NewRevocations(c.Revoked)
		b.requireID = true
	}
	if c.RevocationShared {
		if c.RevocationID == 0 {
			return nil, fmt.Errorf("a shared revocation store needs a revocation id")
		}
		b.sharedTTL = time.Duration(max(c.RevocationTTL, 1) * float64(time.Second))
	}
	if c.RevocationID > 0 {
		b.storeID = c.RevocationID
		registerStore(c.RevocationID, b.revoked)
	}
	return b, nil
}

func algFamily(alg string) string {
	switch alg {
	case "HS256", "HS384", "HS512":
		return "hmac"
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		return "rsa"
	case "ES256", "ES384", "ES512":
		return "ecdsa"
	case "EdDSA":
		return "ed25519"
	}
	return "" // includes "none": an unsigned token is never accepted
}

func parseKey(family string, c *BackendConfig) (any, error) {
	if family == "hmac" {
		if c.PublicKey != "" {
			return nil, errors.New("HS* algorithms take a secret, not a public_key")
		}
		if len(c.Secret) < MinHMACSecret && !c.ShortSecretOK {
			return nil, fmt.Errorf("HS secret is %d bytes; it must be at least %d (use a long random value, e.g. secrets.token_urlsafe(48))", len(c.Secret), MinHMACSecret)
		}
		return []byte(c.Secret), nil
	}
	pem := []byte(c.PublicKey)
	if len(pem) == 0 {
		pem = []byte(c.Secret) // django-bolt also accepts the PEM as `secret`
	}
	var key crypto.PublicKey
	var err error
	switch family {
	case "rsa":
		key, err = jwt.ParseRSAPublicKeyFromPEM(pem)
	case "ecdsa":
		key, err = jwt.ParseECPublicKeyFromPEM(pem)
	case "ed25519":
		key, err = jwt.ParseEdPublicKeyFromPEM(pem)
	}
	if err != nil {
		return nil, fmt.Errorf("public key for %s algorithms: %w", family, err)
	}
	switch key.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		return key, nil
	}
	return nil, fmt.Errorf("public key type %T does not match %s algorithms", key, family)
}

var (
	failMalformed = &Failure{"invalid_token", "Malformed token"}
	failTooLong   = &Failure{"invalid_token", "Token too long"}
	failBadScheme = &Failure{"invalid_request", "Authorization header must be 'Bearer <token>'"}
	failRevoked   = &Failure{"invalid_token", "Token has been revoked"}
	failNoJTI     = &Failure{"invalid_token", "Token has no jti claim"}
	// The shared revocation store did not answer and revocation fails closed.
	failUnchecked = &Failure{"invalid_token", "Token revocation could not be checked; try again"}
	// A refresh or ID token presented where an access token is expected (django-bolt
	// 0.10+ marks them with a "typ" claim, others with "token_type"; tokens without either
	// are access tokens), and the reverse at a rotation endpoint.
	failNotAccess  = &Failure{"invalid_token", "Token is not an access token"}
	failNotRefresh = &Failure{"invalid_token", "Token is not a refresh token"}
	failCrossSite  = &Failure{"invalid_token", "Cross-origin request with a cookie token"}
)

// sameOrigin is the CSRF check of cookie tokens: a request with an unsafe method must not
// come from another origin. Its Origin header (else its Referer) must name the Host it was
// sent to; a request with neither comes from no browser page and passes.
func sameOrigin(ctx *fasthttp.RequestCtx) bool {
	if ctx.IsGet() || ctx.IsHead() || ctx.IsOptions() || ctx.IsTrace() {
		return true
	}
	from := ctx.Request.Header.Peek("Origin")
	if len(from) == 0 {
		from = ctx.Request.Header.Peek("Referer")
	}
	if len(from) == 0 {
		return true
	}
	rest := from
	if i := bytes.Index(rest, []byte("://")); i >= 0 {
		rest = rest[i+3:]
	} else {
		return false // "null" or garbage
	}
	if i := bytes.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return len(rest) > 0 && bytes.EqualFold(rest, ctx.Host())
}

// tokenOf extracts the raw token; ok=false when the request carries none for us.
func (b *jwtBackend) tokenOf(ctx *fasthttp.RequestCtx) (tok []byte, f *Failure) {
	if b.cookie != "" {
		tok = ctx.Request.Header.Cookie(b.cookie)
		if len(tok) > 0 && b.cookieCSRF && !sameOrigin(ctx) {
			return nil, failCrossSite
		}
		return tok, nil
	}
	v := header.Peek(&ctx.Request.Header, b.header)
	if len(v) == 0 || !b.bearer {
		return v, nil
	}
	return BearerToken(v)
}

// BearerToken returns the token of an "Authorization: Bearer <token>" value (the scheme
// is case-insensitive, RFC 9110 11.1).
func BearerToken(v []byte) ([]byte, *Failure) {
	v = bytes.TrimSpace(v)
	if len(v) < 7 || !bytes.EqualFold(v[:7], []byte("bearer ")) {
		return nil, failBadScheme
	}
	tok := bytes.TrimSpace(v[7:])
	if len(tok) == 0 {
		return nil, failBadScheme
	}
	return tok, nil
}

func (b *jwtBackend) authenticate(ctx *fasthttp.RequestCtx) (*Identity, *Failure) {
	tok, f := b.tokenOf(ctx)
	if f != nil || len(tok) == 0 {
		return nil, f
	}
	return b.validate(tok)
}

// validate checks one token; separate from the request so it can be fuzzed.
func (b *jwtBackend) validate(tok []byte) (*Identity, *Failure) {
	if len(tok) > MaxTokenBytes {
		return nil, failTooLong
	}
	if bytes.Count(tok, []byte{'.'}) != 2 {
		return nil, failMalformed
	}
	if id := b.cache.get(tok, b.now()); id != nil {
		if f := b.revocation(id.jti); f != nil {
			return nil, f
		}
		return id, nil
	}
	claims := jwt.MapClaims{}
	if _, err := b.parser.ParseWithClaims(string(tok), claims, b.keyFunc); err != nil {
		return nil, tokenFailure(err)
	}
	if f := b.checkType(claims); f != nil {
		return nil, f
	}
	jti, _ := claims["jti"].(string)
	if b.requireID && jti == "" {
		return nil, failNoJTI
	}
	if f := b.revocation(jti); f != nil {
		return nil, f
	}
	payload := tok[bytes.IndexByte(tok, '.')+1 : bytes.LastIndexByte(tok, '.')]
	raw, err := base64.RawURLEncoding.DecodeString(string(payload))
	if err != nil { // the parser accepted it, so this does not happen; refuse anyway
		return nil, failMalformed
	}
	id := identityFromClaims(claims, raw)
	id.jti = jti
	b.cache.put(tok, id, claims["exp"], b.leeway)
	return id, nil
}

// tokenType is the kind a token declares: its "typ" claim (django-bolt's; Keycloak's
// "Bearer"/"Refresh"/"ID") or its "token_type" claim, lower-cased; "" when unmarked.
func tokenType(claims jwt.MapClaims) string {
	typ, _ := claims["typ"].(string)
	if typ == "" {
		typ, _ = claims["token_type"].(string)
	}
	return strings.ToLower(typ)
}

// checkType refuses a refresh or ID token where an access token is expected, and anything
// but a refresh token at a rotation endpoint.
func (b *jwtBackend) checkType(claims jwt.MapClaims) *Failure {
	typ := tokenType(claims)
	if b.refreshOnly {
		if typ != "refresh" {
			return failNotRefresh
		}
		return nil
	}
	if typ == "refresh" || typ == "id" {
		return failNotAccess
	}
	return nil
}

// revocation refuses a revoked jti (nil: not revoked, or no revocation store).
func (b *jwtBackend) revocation(jti string) *Failure {
	if b.revoked == nil || jti == "" {
		return nil
	}
	revoked, err := b.revoked.Check(jti, time.Now())
	switch {
	case err != nil:
		return failUnchecked
	case revoked:
		return failRevoked
	}
	return nil
}

// now is the validation clock (frozen in tests).
func (b *jwtBackend) now() time.Time {
	if b.clock != nil {
		return b.clock()
	}
	return time.Now()
}

func (b *jwtBackend) keyFunc(t *jwt.Token) (any, error) {
	if b.keys != nil {
		return b.keys.keyFor(t)
	}
	return b.key, nil
}

func (b *jwtBackend) challenge(f *Failure) []byte {
	if f == nil {
		return b.realm
	}
	return appendChallenge(append([]byte(nil), b.realm...), f)
}

// appendChallenge adds RFC 6750 3 error attributes; descriptions are our own constants.
func appendChallenge(dst []byte, f *Failure) []byte {
	dst = append(dst, `, error="`...)
	dst = append(dst, f.Code...)
	dst = append(dst, `", error_description="`...)
	dst = append(dst, f.Description...)
	return append(dst, '"')
}

// tokenFailure maps golang-jwt's error to a fixed description: the error text itself may
// echo attacker-controlled header values, so it never reaches the client.
func tokenFailure(err error) *Failure {
	desc := "Invalid token"
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		desc = "Token has expired"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		desc = missingClaim(err)
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		desc = "Token is not valid yet"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		desc = "Token audience is not accepted"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		desc = "Token issuer is not accepted"
	case errors.Is(err, errUnknownKid):
		desc = "Token kid names no key of the key set"
	case errors.Is(err, errNoKid):
		desc = "Token has no kid and the key set has several keys"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		desc = "Token signature or algorithm is not accepted"
	case errors.Is(err, jwt.ErrTokenMalformed):
		desc = "Malformed token"
	}
	return &Failure{"invalid_token", desc}
}

// requiredClaims are the claims a parser option can require; their descriptions are
// fixed strings, so nothing of the token reaches the reply.
var requiredClaims = [...]struct{ name, desc string }{
	{"exp", "Token is missing a required claim (exp)"},
	{"aud", "Token is missing a required claim (aud)"},
	{"iss", "Token is missing a required claim (iss)"},
	{"nbf", "Token is missing a required claim (nbf)"},
	{"iat", "Token is missing a required claim (iat)"},
	{"sub", "Token is missing a required claim (sub)"},
}

// missingClaim names the claim golang-jwt found missing ("<name> claim is required" in
// its error text, a constant of the library).
func missingClaim(err error) string {
	msg := err.Error()
	for _, c := range requiredClaims {
		if strings.Contains(msg, c.name+" claim is required") {
			return c.desc
		}
	}
	return "Token is missing a required claim"
}

// userID renders the "sub" claim as a string (django-bolt tokens carry the primary key).
func userID(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, x != ""
	case fmt.Stringer: // json.Number
		return x.String(), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}
