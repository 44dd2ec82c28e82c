package server

import (
	"fmt"
	"strings"
	"time"

	jsoniter "github.com/json-iterator/go"

	"github.com/django-bolt-go/django-bolt-go/libbolt/accesslog"
	"github.com/django-bolt-go/django-bolt-go/libbolt/auth"
	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/logline"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/compress"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/cors"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/ratelimit"
	"github.com/django-bolt-go/django-bolt-go/libbolt/multipart"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
	"github.com/django-bolt-go/django-bolt-go/libbolt/state"
	"github.com/django-bolt-go/django-bolt-go/libbolt/static"
)

// Config is what Python sends at start-up (JSON). A zero value means the documented default.
type Config struct {
	Host    string         `json:"host"`    // default 127.0.0.1
	Port    int            `json:"port"`    // 0 picks a free port (see Server.Port)
	Backlog int            `json:"backlog"` // listen(2) backlog, default 1024
	Routes  []router.Route `json:"routes"`

	// ReusePort sets SO_REUSEPORT so that several worker processes can bind the same
	// address; the kernel spreads new connections across them. Off by default: with it on,
	// a second server on the same port would share it silently instead of failing.
	ReusePort bool `json:"reuse_port"`
	// FrontEnd is what reads the sockets: "loop" (Linux: epoll loops of libbolt's own,
	// loop_linux.go; connections they do not serve themselves go on to fasthttp with the
	// bytes already read) or "fasthttp". "auto" or "" (the default): "loop" where it is
	// supported, else "fasthttp".
	FrontEnd string `json:"front_end"`

	HandlerTimeoutMs int `json:"handler_timeout_ms"` // Python handler timeout, default 30 s -> 504
	MaxBodySize      int `json:"max_body_size"`      // default 2.5 MB (Django's) -> 413
	MaxHeaderBytes   int `json:"max_header_bytes"`   // header block, default 16 KiB -> 431
	ReadTimeoutMs    int `json:"read_timeout_ms"`    // headers + body, default 15 s
	WriteTimeoutMs   int `json:"write_timeout_ms"`   // default 30 s
	IdleTimeoutMs    int `json:"idle_timeout_ms"`    // keep-alive idle, default 75 s
	MaxConnections   int `json:"max_connections"`    // per process, default 10,000 -> 503
	MaxHeaders       int `json:"max_headers"`        // header lines, default 100 -> 431
	// MaxURIBytes caps the request target (default 8 KiB -> 414). The request line is read
	// into the MaxHeaderBytes buffer, so a target longer than that is a 431 instead.
	MaxURIBytes int `json:"max_uri_bytes"`
	// RouteMaxBody overrides MaxBodySize per route id; 0 means the route's handler cannot
	// see a body, so none is read (413 for a body, 417 for Expect: 100-continue).
	RouteMaxBody map[uint16]int `json:"route_max_body"`
	// MaxInflightBody bounds the bytes of request bodies held in memory at once across the
	// process (default 64 MiB); a body that would go past it is answered 503 + Retry-After.
	MaxInflightBody int `json:"max_inflight_body"`
	// JSONBodyRoutes take a JSON body: another Content-Type gets 415 (body.go).
	JSONBodyRoutes []uint16 `json:"json_body_routes"`
	// HostCheck applies AllowedHosts (Django's ALLOWED_HOSTS patterns) to every request:
	// another host gets 400. Python turns it on unless ALLOWED_HOSTS allows "*".
	HostCheck    bool     `json:"host_check"`
	AllowedHosts []string `json:"allowed_hosts"`

	// HealthPath is answered by Go with {"status":"ok"} (liveness); nil means "/health",
	// "" turns it off.
	HealthPath *string `json:"health_path"`
	// CORS is the global policy (nil: no CORS headers); RouteCORS overrides it per route id.
	CORS      *cors.Config            `json:"cors"`
	RouteCORS map[uint16]*cors.Config `json:"route_cors"`
	// RouteSkip lists, per route id, the Go middleware @skip_middleware turned off there.
	// Only "cors" is read here: rate limits and compression are resolved in Python.
	RouteSkip map[uint16][]string `json:"route_skip"`
	// RouteClient lists the routes whose requests carry the client address to Python
	// (request.META["REMOTE_ADDR"]): those whose handler takes the request object.
	RouteClient []uint16 `json:"route_client"`
	// RouteTimeoutMs overrides HandlerTimeoutMs per route id.
	RouteTimeoutMs map[uint16]int `json:"route_timeout_ms"`

	// Authentication and rate limiting (package protect): the API's backends once, each route's
	// backends (by index) and guards, each route's rate limit (global default resolved in
	// Python), the proxies whose forwarding headers are believed, the key store bound.
	AuthBackends     []auth.BackendConfig         `json:"auth_backends"`
	RouteAuth        map[uint16]*auth.RouteConfig `json:"route_auth"`
	RouteRateLimit   map[uint16]*ratelimit.Config `json:"route_rate_limit"`
	TrustedProxies   []string                     `json:"trusted_proxies"`
	RateLimitMaxKeys int                          `json:"rate_limit_max_keys"` // default 100,000
	// State is the shared state store (DJANGO_BOLT["STATE"], package state): rate limits
	// and SharedRevocation stores live in Redis; nil: per process.
	State *state.Config `json:"state"`
	// ClockUnix freezes the clock of JWT validation and rate limiting (tests only; 0: real).
	ClockUnix float64 `json:"clock_unix"`
	// StaticResponses are answered before routing for GET/HEAD of their exact path
	// (static_responses.go); none by default.
	StaticResponses []StaticResponse `json:"static_responses"`
	// Fallback hands requests that match no route to Python (Django's ASGI handler); nil
	// means Go answers 404. See fallback.go.
	Fallback *FallbackConfig `json:"fallback"`
	// Static serves STATIC_URL from disk in Go (package static); nil: off.
	Static *static.Config `json:"static"`
	// Media serves MEDIA_URL from MEDIA_ROOT the same way (Media set: downloads for
	// scriptable types, nosniff, private caching); nil: off.
	Media *static.Config `json:"media"`
	// Multipart bodies of bridge.FlagMultipart routes (package multipart).
	MultipartMaxFiles  int `json:"multipart_max_files"`  // file parts, default 100 -> 413
	MultipartMaxFields int `json:"multipart_max_fields"` // other parts, default 1,000 -> 413
	// UploadMemoryMax: files up to this size travel in the request record, larger ones are
	// written to a temp file in UploadTempDir (default 1 MiB; "" dir: the system's).
	UploadMemoryMax int    `json:"upload_memory_max"`
	UploadTempDir   string `json:"upload_temp_dir"`
	// Compression is every route's response compression (nil: on, with the defaults of
	// compress.Config); RouteCompression overrides it per route id.
	Compression      *compress.Config            `json:"compression"`
	RouteCompression map[uint16]*compress.Config `json:"route_compression"`
	// MetricsPath serves Prometheus metrics; nil means "/metrics", "" turns it off.
	// MetricsToken, when set, must come as "Authorization: Bearer <token>" (else 401).
	MetricsPath  *string `json:"metrics_path"`
	MetricsToken string  `json:"metrics_token"`
	// AccessLog writes one line per request to stderr; nil: no access log (Python turns
	// it on by default).
	AccessLog *accesslog.Config `json:"access_log"`
	// WebSocket holds the limits of WebSocket routes (websocket.go); nil: the defaults.
	WebSocket *SocketConfig `json:"websocket"`
	// Log is the format of the server's own lines (internal/logline): "json" (default),
	// "text" or "color" (runbolt --dev, on a terminal), with the worker id (nil: none).
	LogFormat string `json:"log_format"`
	Worker    *int   `json:"worker"`
}

func (c *Config) logFormat() logline.Format {
	f := logline.Format{Text: c.LogFormat == "text" || c.LogFormat == "color", Colour: c.LogFormat == "color", Worker: -1}
	if c.Worker != nil {
		f.Worker = *c.Worker
	}
	return f
}

// FallbackConfig names the Python route that receives unmatched requests.
type FallbackConfig struct {
	Route uint16 `json:"route"`
	// Exclude lists path prefixes that never fall back (runbolt --no-admin sends the
	// admin's prefix): Go answers 404 for them.
	Exclude []string `json:"exclude"`
}

func (c *Config) applyDefaults() {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	if c.FrontEnd == "" || c.FrontEnd == frontAuto {
		c.FrontEnd = defaultFrontEnd()
	}
	def(&c.Backlog, 1024)
	def(&c.HandlerTimeoutMs, 30_000)
	def(&c.MaxBodySize, 2_621_440)
	def(&c.MaxHeaderBytes, 16<<10)
	def(&c.ReadTimeoutMs, 15_000)
	def(&c.WriteTimeoutMs, 30_000)
	def(&c.IdleTimeoutMs, 75_000)
	def(&c.MaxConnections, 10_000)
	def(&c.MaxHeaders, 100)
	def(&c.MaxURIBytes, 8<<10)
	def(&c.MaxInflightBody, 128<<20)
	def(&c.MultipartMaxFiles, 100)
	def(&c.MultipartMaxFields, 1000)
	def(&c.UploadMemoryMax, 1<<20)
	if c.HealthPath == nil {
		health := "/health"
		c.HealthPath = &health
	}
	if c.MetricsPath == nil {
		path := "/metrics"
		c.MetricsPath = &path
	}
}

func (c *Config) validate() error {
	switch c.LogFormat {
	case "", "json", "text", "color":
	default:
		return fmt.Errorf("log_format %q must be \"json\", \"text\" or \"color\"", c.LogFormat)
	}
	switch c.FrontEnd {
	case frontFasthttp:
	case frontLoop:
		if !loopSupported {
			return fmt.Errorf("front_end \"loop\" needs Linux (epoll); use \"fasthttp\" here")
		}
	default:
		return fmt.Errorf("front_end %q must be \"auto\", \"loop\" or \"fasthttp\"", c.FrontEnd)
	}
	if c.Port < 0 || c.Port > 65535 {
		return fmt.Errorf("port %d out of range 0-65535", c.Port)
	}
	for name, v := range map[string]int{
		"backlog": c.Backlog, "handler_timeout_ms": c.HandlerTimeoutMs, "max_body_size": c.MaxBodySize,
		"max_header_bytes": c.MaxHeaderBytes, "read_timeout_ms": c.ReadTimeoutMs,
		"write_timeout_ms": c.WriteTimeoutMs, "idle_timeout_ms": c.IdleTimeoutMs,
		"max_connections": c.MaxConnections, "max_headers": c.MaxHeaders, "max_uri_bytes": c.MaxURIBytes,
		"multipart_max_files": c.MultipartMaxFiles, "multipart_max_fields": c.MultipartMaxFields,
		"upload_memory_max": c.UploadMemoryMax, "max_inflight_body": c.MaxInflightBody,
	} {
		if v < 0 {
			return fmt.Errorf("%s must be positive, got %d", name, v)
		}
	}
	for id, v := range c.RouteMaxBody {
		if v < 0 {
			return fmt.Errorf("route_max_body for route %d must not be negative, got %d", id, v)
		}
	}
	for id, v := range c.RouteTimeoutMs {
		if v <= 0 {
			return fmt.Errorf("route_timeout_ms for route %d must be positive, got %d", id, v)
		}
	}
	if err := multipart.CheckTempDir(c.UploadTempDir); err != nil {
		return err
	}
	if p := *c.HealthPath; p != "" && (p[0] != '/' || strings.ContainsAny(p, "?#{} ")) {
		return fmt.Errorf("health_path %q must be a plain path starting with '/'", p)
	}
	if p := *c.MetricsPath; p != "" && (p[0] != '/' || strings.ContainsAny(p, "?#{} ")) {
		return fmt.Errorf("metrics_path %q must be a plain path starting with '/'", p)
	}
	if p := *c.MetricsPath; p != "" && p == *c.HealthPath {
		return fmt.Errorf("metrics_path and health_path are both %q", p)
	}
	for _, rt := range c.Routes {
		if p := *c.HealthPath; p != "" && rt.Path == p {
			// Go answers the health path before routing: the route would never be called.
			return fmt.Errorf("route %s %s is shadowed by the health endpoint; set DJANGO_BOLT['HEALTH_PATH'] to another path or None", rt.Method, p)
		}
		if p := *c.MetricsPath; p != "" && rt.Path == p {
			return fmt.Errorf("route %s %s is shadowed by the metrics endpoint; set DJANGO_BOLT['METRICS_PATH'] to another path or None", rt.Method, p)
		}
	}
	return c.validateStatic()
}

// ParseConfig decodes and validates the JSON configuration; unknown keys are errors.
func ParseConfig(data []byte) (*Config, error) {
	var c Config
	api := jsoniter.Config{DisallowUnknownFields: true}.Froze()
	if err := api.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("server config: %w", err)
	}
	c.applyDefaults()
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("server config: %w", err)
	}
	return &c, nil
}

func ms(v int) time.Duration { return time.Duration(v) * time.Millisecond }
