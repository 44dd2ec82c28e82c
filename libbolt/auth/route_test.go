package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	jsoniter "github.com/json-iterator/go"
	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/extra"
)

func compileTestRoute(t *testing.T, guards ...GuardConfig) *Route {
	t.Helper()
	backends, err := CompileBackends([]BackendConfig{
		{Type: "jwt", Secret: testSecret},
		{Type: "api_key", APIKeys: []string{"key-one", "key-two"}, KeyPermissions: map[string][]string{"key-two": {"items.read"}}},
	}, func() time.Time { return frozen })
	if err != nil {
		t.Fatal(err)
	}
	r, err := CompileRoute(&RouteConfig{Backends: []int{0, 1}, Guards: guards}, backends)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func bearer(t *testing.T, claims jwt.MapClaims) func(*fasthttp.RequestHeader) {
	tok := sign(t, jwt.SigningMethodHS256, []byte(testSecret), claims)
	return func(h *fasthttp.RequestHeader) { h.Set("Authorization", "Bearer "+tok) }
}

func TestRouteGuards(t *testing.T) {
	t.Parallel()
	admin := validClaims()
	admin["is_superuser"] = true
	plain := validClaims()
	plain["is_staff"] = false
	plain["role"] = "client"
	expired := validClaims()
	expired["exp"] = frozen.Add(-time.Hour).Unix()
	apiKey := func(k string) func(*fasthttp.RequestHeader) {
		return func(h *fasthttp.RequestHeader) { h.Set("X-API-Key", k) }
	}
	none := func(*fasthttp.RequestHeader) {}
	g := func(typ string, perms ...string) GuardConfig { return GuardConfig{Type: typ, Permissions: perms} }
	tests := []struct {
		name      string
		guards    []GuardConfig
		set       func(*fasthttp.RequestHeader)
		status    int
		challenge string
	}{
		{"no guards, no credentials", nil, none, 0, ""},
		{"no guards, invalid token still served", nil, bearer(t, expired), 0, ""},
		{"allow any", []GuardConfig{g("allow_any")}, none, 0, ""},
		{"authenticated: none", []GuardConfig{g("is_authenticated")}, none, 401, `Bearer realm="api"`},
		{"authenticated: expired", []GuardConfig{g("is_authenticated")}, bearer(t, expired), 401, `error="invalid_token", error_description="Token has expired"`},
		{"authenticated: jwt", []GuardConfig{g("is_authenticated")}, bearer(t, validClaims()), 0, ""},
		{"authenticated: api key", []GuardConfig{g("is_authenticated")}, apiKey("key-one"), 0, ""},
		{"authenticated: wrong api key", []GuardConfig{g("is_authenticated")}, apiKey("key-three"), 401, `ApiKey header="x-api-key", error="invalid_token"`},
		{"admin: staff only", []GuardConfig{g("is_admin_user")}, bearer(t, validClaims()), 403, ""},
		{"admin: superuser", []GuardConfig{g("is_admin_user")}, bearer(t, admin), 0, ""},
		{"admin: anonymous", []GuardConfig{g("is_admin_user")}, none, 401, "Bearer"},
		{"staff", []GuardConfig{g("is_staff")}, bearer(t, validClaims()), 0, ""},
		{"staff: not staff", []GuardConfig{g("is_staff")}, bearer(t, plain), 403, ""},
		{"permission held", []GuardConfig{g("has_permission", "blog.add")}, bearer(t, validClaims()), 0, ""},
		{"permission missing", []GuardConfig{g("has_permission", "blog.delete")}, bearer(t, validClaims()), 403, ""},
		{"superuser has every permission", []GuardConfig{g("has_permission", "blog.delete")}, bearer(t, admin), 0, ""},
		{"any permission", []GuardConfig{g("has_any_permission", "x", "blog.add")}, bearer(t, validClaims()), 0, ""},
		{"all permissions", []GuardConfig{g("has_all_permissions", "x", "blog.add")}, bearer(t, validClaims()), 403, ""},
		{"api key permissions", []GuardConfig{g("has_permission", "items.read")}, apiKey("key-two"), 0, ""},
		{"requires claim value", []GuardConfig{{Type: "requires", Claim: "role", Values: []any{"vip", "client"}}}, bearer(t, plain), 0, ""},
		{"requires claim value: other", []GuardConfig{{Type: "requires", Claim: "role", Values: []any{"vip"}}}, bearer(t, plain), 403, ""},
		{"requires all_of", []GuardConfig{{Type: "requires", Claim: "permissions", Values: []any{"blog.add"}, MatchAll: true}}, bearer(t, validClaims()), 0, ""},
		{"requires boolean", []GuardConfig{{Type: "requires", Claim: "is_staff", Values: []any{true}}}, bearer(t, plain), 403, ""},
		{"requires presence", []GuardConfig{{Type: "requires", Claim: "tenant"}}, bearer(t, plain), 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := compileTestRoute(t, tt.guards...)
			var ctx fasthttp.RequestCtx
			tt.set(&ctx.Request.Header)
			_, d := r.Check(&ctx)
			status := 0
			if d != nil {
				status = d.Status
				if !strings.Contains(string(d.Challenge), tt.challenge) || !strings.Contains(string(d.Body), `"detail"`) {
					t.Fatalf("denial = %d %q %s", d.Status, d.Challenge, d.Body)
				}
			}
			if status != tt.status {
				t.Fatalf("status = %d, want %d", status, tt.status)
			}
		})
	}
}

func TestCheckAttachesContext(t *testing.T) {
	t.Parallel()
	r := compileTestRoute(t, GuardConfig{Type: "is_authenticated"})
	var ctx fasthttp.RequestCtx
	bearer(t, validClaims())(&ctx.Request.Header)
	if _, d := r.Check(&ctx); d != nil {
		t.Fatalf("denied: %+v", d)
	}
	got := string(extra.AppendTo(nil, &ctx))
	if !strings.HasPrefix(got, `{"context":{"user_id":"42","auth_backend":"jwt","is_staff":true`) {
		t.Fatalf("extra = %s", got)
	}
}

func TestDeferredRouteNeverRejects(t *testing.T) {
	t.Parallel()
	backends, _ := CompileBackends([]BackendConfig{{Type: "session"}}, nil)
	r, err := CompileRoute(&RouteConfig{Backends: []int{0}, Guards: []GuardConfig{{Type: "is_authenticated"}}, Deferred: true}, backends)
	if err != nil {
		t.Fatal(err)
	}
	var ctx fasthttp.RequestCtx
	if _, d := r.Check(&ctx); d != nil {
		t.Fatalf("deferred route rejected in Go: %+v", d)
	}
}

func TestCompileRejects(t *testing.T) {
	t.Parallel()
	if _, err := CompileBackends([]BackendConfig{{Type: "oauth"}}, nil); err == nil {
		t.Fatal("unknown backend type accepted")
	}
	if _, err := CompileBackends([]BackendConfig{{Type: "api_key"}}, nil); err == nil {
		t.Fatal("api key backend without keys accepted")
	}
	if _, err := CompileRoute(&RouteConfig{Backends: []int{3}}, nil); err == nil {
		t.Fatal("backend index out of range accepted")
	}
	for _, g := range []GuardConfig{{Type: "is_wizard"}, {Type: "has_permission"}, {Type: "requires"}, {Type: "requires", Claim: "x", Values: []any{[]any{}}}} {
		if _, err := CompileRoute(&RouteConfig{Guards: []GuardConfig{g}}, nil); err == nil {
			t.Fatalf("guard %+v accepted", g)
		}
	}
}

func TestAPIKeyMatchVisitsEveryKey(t *testing.T) {
	t.Parallel()
	b, err := compileAPIKey(&BackendConfig{APIKeys: []string{"a", "b", "c"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b", "c"} {
		if b.match([]byte(k)) == nil {
			t.Fatalf("key %q not matched", k)
		}
	}
	for _, k := range []string{"", "ab", "A", "c\x00"} {
		if b.match([]byte(k)) != nil {
			t.Fatalf("key %q matched", k)
		}
	}
}

func TestContextIsValidJSONForAnyClaims(t *testing.T) {
	t.Parallel()
	for _, sub := range []string{"42", `a"b`, `back\slash`, "tab\there", "é", "\u2028"} {
		id := &Identity{UserID: sub, Backend: "jwt", Permissions: []string{sub}, rawClaims: []byte(`{}`)}
		var got map[string]any
		if err := jsoniter.Unmarshal(id.AppendContext(nil), &got); err != nil || got["user_id"] != sub {
			t.Fatalf("sub %q: %v %v", sub, got, err)
		}
	}
}

// A route's checks may wait on the network when a backend keeps its revocations in Redis
// or fetches its key set from a URL; a key given in the config never does.
func TestRouteMayBlock(t *testing.T) {
	t.Parallel()
	secret := "a-test-secret-that-is-long-enough-for-hs256"
	backends, err := CompileBackends([]BackendConfig{
		{Type: "jwt", Secret: secret},
		{Type: "jwt", Secret: secret, RevocationID: 9301, RevocationShared: true, RevocationTTL: 60},
		{Type: "api_key", APIKeys: []string{"k-0123456789"}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for backends2, want := range map[[2]int]bool{{0, 2}: false, {0, 1}: true} {
		r, err := CompileRoute(&RouteConfig{Backends: backends2[:]}, backends)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.MayBlock(); got != want {
			t.Errorf("backends %v: MayBlock %v, want %v", backends2, got, want)
		}
	}
	if b := (&jwtBackend{keys: &keySet{url: "https://idp.test/jwks"}}); !b.mayBlock() {
		t.Error("a key set fetched from a URL: mayBlock false")
	}
}
