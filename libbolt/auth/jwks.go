package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jsoniter "github.com/json-iterator/go"
)

// A JWKS (RFC 7517) key set: the public keys of an identity provider, each named by its
// "kid". A token's "kid" header picks its key. The set comes from JWTAuthentication(jwks=)
// (a fixed document) or jwks_url=, fetched at start-up (a failure stops start-up) and again
// when a token names a kid the set does not have (a provider rotated its keys), at most once
// per refresh interval so that tokens with made-up kids cannot make us hammer the provider.
// A set older than maxAge is refetched in the background while the old keys keep serving,
// so a key the provider withdrew stops being trusted within that time.

const (
	// jwksMaxBytes bounds the fetched document; real key sets are a few kilobytes.
	jwksMaxBytes = 1 << 20
	// jwksFetchTimeout bounds one fetch (connect, headers, body).
	jwksFetchTimeout = 5 * time.Second
	// jwksDefaultRefresh is the least time between two fetches caused by unknown kids.
	jwksDefaultRefresh = 60 * time.Second
	// jwksMaxAge: a set older than this is refetched in the background.
	jwksMaxAge = time.Hour
)

// jwk is one key of a set, as RFC 7517/7518 name the members we use.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

type jwkDoc struct {
	Keys []jwk `json:"keys"`
}

// setKey is a parsed key and the algorithm its JWK pins it to ("" when any of its family).
type setKey struct {
	key any
	alg string
}

// keySet holds the current keys; the map is replaced whole, never changed in place.
type keySet struct {
	url      string // "" for a fixed document
	families map[string]bool
	refresh  time.Duration
	client   *http.Client

	mu      sync.RWMutex
	keys    map[string]setKey // kid -> key ("" for a key without kid)
	fetched time.Time

	fetchMu   sync.Mutex // one fetch at a time; waiters reuse its result
	lastTry   time.Time
	bgRunning bool
}

// newKeySet parses a fixed document, or fetches url once (start-up: errors are returned).
func newKeySet(doc, rawURL string, families map[string]bool, refreshSec float64) (*keySet, error) {
	ks := &keySet{families: families, refresh: jwksDefaultRefresh}
	if refreshSec > 0 {
		ks.refresh = time.Duration(refreshSec * float64(time.Second))
	}
	if doc != "" {
		keys, err := parseJWKS([]byte(doc), families)
		if err != nil {
			return nil, fmt.Errorf("jwks: %w", err)
		}
		ks.keys = keys
		return ks, nil
	}
	if err := checkJWKSURL(rawURL); err != nil {
		return nil, err
	}
	ks.url = rawURL
	ks.client = &http.Client{Timeout: jwksFetchTimeout}
	keys, err := ks.fetch()
	if err != nil {
		return nil, fmt.Errorf("jwks_url %s: %w", rawURL, err)
	}
	// lastTry stays zero: the first unknown kid may refetch at once (a rotation right
	// after start-up); later ones wait for the refresh interval.
	ks.keys, ks.fetched = keys, time.Now()
	return ks, nil
}

// checkJWKSURL refuses a key set fetched in clear text from another machine: anyone on
// the path could substitute keys and mint accepted tokens. Plain http is allowed to
// loopback addresses only (a provider's sidecar, tests).
func checkJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("jwks_url %q is not an absolute URL", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
			return nil
		}
		return fmt.Errorf("jwks_url %q must use https (plain http only to a loopback address)", raw)
	}
	return fmt.Errorf("jwks_url %q must be an https URL", raw)
}

func (ks *keySet) fetch() (map[string]setKey, error) {
	body, err := getJSON(ks.client, ks.url)
	if err != nil {
		return nil, err
	}
	return parseJWKS(body, ks.families)
}

// getJSON fetches a small JSON document (a key set, an OpenID configuration).
func getJSON(client *http.Client, rawURL string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), jwksFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("answered %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, jwksMaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > jwksMaxBytes {
		return nil, fmt.Errorf("document larger than %d bytes", jwksMaxBytes)
	}
	return body, nil
}

// discoverJWKS reads an OpenID provider's configuration (OpenID Connect Discovery 1.0,
// section 4) and returns its jwks_uri. The document must name the same issuer it was
// fetched for (section 4.3), so a configuration cannot vouch for another issuer's keys.
func discoverJWKS(issuer string) (string, error) {
	if err := checkJWKSURL(issuer); err != nil {
		return "", fmt.Errorf("oidc_issuer: %w", err)
	}
	where := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	body, err := getJSON(&http.Client{Timeout: jwksFetchTimeout}, where)
	if err != nil {
		return "", fmt.Errorf("oidc_issuer %s: %w", where, err)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := jsoniter.ConfigCompatibleWithStandardLibrary.Unmarshal(body, &doc); err != nil {
		return "", fmt.Errorf("oidc_issuer %s: not a JSON configuration: %w", where, err)
	}
	if doc.Issuer != issuer {
		return "", fmt.Errorf("oidc_issuer: the configuration at %s names issuer %q, not %q", where, doc.Issuer, issuer)
	}
	if doc.JWKSURI == "" {
		return "", fmt.Errorf("oidc_issuer: the configuration at %s has no jwks_uri", where)
	}
	return doc.JWKSURI, nil
}

// parseJWKS keeps the signature keys of the allowed families; a set with none is an error
// (it could verify nothing). Keys of other types (symmetric "oct", encryption keys) are
// skipped, never used.
func parseJWKS(doc []byte, families map[string]bool) (map[string]setKey, error) {
	var d jwkDoc
	if err := jsoniter.ConfigCompatibleWithStandardLibrary.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("not a JSON key set: %w", err)
	}
	out := make(map[string]setKey, len(d.Keys))
	for i := range d.Keys {
		k := &d.Keys[i]
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		key, family, err := k.publicKey()
		if err != nil {
			return nil, fmt.Errorf("key %d (kid %q): %w", i, k.Kid, err)
		}
		if key == nil || !families[family] {
			continue
		}
		if k.Alg != "" && algFamily(k.Alg) != family {
			return nil, fmt.Errorf("key %d (kid %q): alg %q does not fit a %s key", i, k.Kid, k.Alg, k.Kty)
		}
		if _, dup := out[k.Kid]; dup {
			return nil, fmt.Errorf("kid %q appears twice", k.Kid)
		}
		out[k.Kid] = setKey{key: key, alg: k.Alg}
	}
	if len(out) == 0 {
		return nil, errors.New("no signature key for the configured algorithms")
	}
	return out, nil
}

func b64int(s string) (*big.Int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, errors.New("bad base64url number")
	}
	return new(big.Int).SetBytes(b), nil
}

// publicKey builds the key; nil and no error for key types we do not verify with.
func (k *jwk) publicKey() (any, string, error) {
	switch k.Kty {
	case "RSA":
		n, err := b64int(k.N)
		if err != nil {
			return nil, "", fmt.Errorf("n: %w", err)
		}
		e, err := b64int(k.E)
		if err != nil || !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 {
			return nil, "", errors.New("e: not a usable RSA exponent")
		}
		if n.BitLen() < 2048 {
			return nil, "", fmt.Errorf("RSA key of %d bits; at least 2048 are required", n.BitLen())
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, "rsa", nil
	case "EC":
		var curve elliptic.Curve
		switch k.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, "", fmt.Errorf("curve %q is not supported", k.Crv)
		}
		size := (curve.Params().BitSize + 7) / 8
		x, errX := base64.RawURLEncoding.DecodeString(k.X)
		y, errY := base64.RawURLEncoding.DecodeString(k.Y)
		if errX != nil || errY != nil || len(x) != size || len(y) != size {
			return nil, "", errors.New("x/y: not coordinates of the curve")
		}
		// The parser checks that the point is on the curve.
		pub, err := ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, "", err
		}
		return pub, "ecdsa", nil
	case "OKP":
		if k.Crv != "Ed25519" {
			return nil, "", nil
		}
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, "", errors.New("x: not an Ed25519 public key")
		}
		return ed25519.PublicKey(x), "ed25519", nil
	}
	return nil, "", nil
}

var (
	errNoKid      = errors.New("token has no kid and the key set has several keys")
	errUnknownKid = errors.New("no key with the token's kid")
	errKeyAlg     = errors.New("the key is pinned to another algorithm")
)

// keyFor is the jwt.Keyfunc of a key-set backend.
func (ks *keySet) keyFor(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	k, ok, err := ks.lookup(kid)
	if err != nil {
		return nil, err
	}
	if !ok && ks.url != "" {
		ks.refetch(false)
		k, ok, err = ks.lookup(kid)
		if err != nil {
			return nil, err
		}
	}
	if !ok {
		return nil, errUnknownKid
	}
	if k.alg != "" && k.alg != t.Method.Alg() {
		return nil, errKeyAlg
	}
	return k.key, nil
}

func (ks *keySet) lookup(kid string) (setKey, bool, error) {
	ks.mu.RLock()
	keys, fetched := ks.keys, ks.fetched
	ks.mu.RUnlock()
	if ks.url != "" && time.Since(fetched) > jwksMaxAge {
		ks.refetch(true)
	}
	if kid == "" && len(keys) > 1 {
		if _, ok := keys[""]; !ok {
			return setKey{}, false, errNoKid
		}
	}
	if kid == "" && len(keys) == 1 {
		for _, k := range keys {
			return k, true, nil
		}
	}
	k, ok := keys[kid]
	return k, ok, nil
}

// refetch asks the provider again unless it was asked less than the refresh interval ago.
// In the foreground (an unknown kid) the caller waits for the answer; in the background
// (an old set) it does not. A failed fetch keeps the keys there are.
func (ks *keySet) refetch(background bool) {
	if background {
		ks.fetchMu.Lock()
		if ks.bgRunning || time.Since(ks.lastTry) < ks.refresh {
			ks.fetchMu.Unlock()
			return
		}
		ks.bgRunning = true
		ks.fetchMu.Unlock()
		go func() {
			ks.fetchMu.Lock()
			ks.fetchLocked()
			ks.bgRunning = false
			ks.fetchMu.Unlock()
		}()
		return
	}
	ks.fetchMu.Lock()
	defer ks.fetchMu.Unlock()
	if time.Since(ks.lastTry) < ks.refresh {
		return // asked recently (possibly by the request we waited for)
	}
	ks.fetchLocked()
}

func (ks *keySet) fetchLocked() {
	ks.lastTry = time.Now()
	keys, err := ks.fetch()
	if err != nil {
		return
	}
	ks.mu.Lock()
	ks.keys, ks.fetched = keys, time.Now()
	ks.mu.Unlock()
}
