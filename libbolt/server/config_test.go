package server

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/middleware/cors"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

func TestParseConfigDefaults(t *testing.T) {
	t.Parallel()
	health, metricsPath := "/health", "/metrics"
	got, err := ParseConfig([]byte(`{}`))
	if err != nil {
		t.Fatalf("ParseConfig({}): %v", err)
	}
	want := &Config{
		Host: "127.0.0.1", FrontEnd: defaultFrontEnd(), Backlog: 1024, HandlerTimeoutMs: 30_000, MaxBodySize: 2_621_440,
		MaxHeaderBytes: 16 << 10, ReadTimeoutMs: 15_000, WriteTimeoutMs: 30_000,
		IdleTimeoutMs: 75_000, MaxConnections: 10_000, MaxHeaders: 100, MaxURIBytes: 8 << 10, MaxInflightBody: 128 << 20,
		HealthPath: &health, MultipartMaxFiles: 100, MultipartMaxFields: 1000, UploadMemoryMax: 1 << 20, MetricsPath: &metricsPath,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("defaults\n got  %+v\n want %+v", got, want)
	}
}

func TestParseConfigKeepsValues(t *testing.T) {
	t.Parallel()
	noHealth, zero, metricsPath := "", 0, "/metrics"
	got, err := ParseConfig([]byte(`{
		"host": "0.0.0.0", "port": 8000, "backlog": 16,
		"routes": [{"id": 3, "method": "POST", "path": "/a/{id:int}", "flags": 1}],
		"handler_timeout_ms": 1, "max_body_size": 2, "max_header_bytes": 4096, "read_timeout_ms": 4,
		"write_timeout_ms": 5, "idle_timeout_ms": 6, "max_connections": 7, "max_headers": 8,
		"max_uri_bytes": 9, "health_path": "",
		"multipart_max_files": 3, "multipart_max_fields": 4, "upload_memory_max": 5, "upload_temp_dir": "/tmp",
		"cors": {"allowed_origins": ["https://a.example"], "max_age": 0},
		"route_cors": {"3": {"allow_all_origins": true}}
	}`))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	want := &Config{
		Host: "0.0.0.0", Port: 8000, FrontEnd: defaultFrontEnd(), Backlog: 16,
		Routes:           []router.Route{{ID: 3, Method: "POST", Path: "/a/{id:int}", Flags: bridge.FlagHeaders}},
		HandlerTimeoutMs: 1, MaxBodySize: 2, MaxHeaderBytes: 4096, ReadTimeoutMs: 4,
		WriteTimeoutMs: 5, IdleTimeoutMs: 6, MaxConnections: 7, MaxHeaders: 8, MaxURIBytes: 9, MaxInflightBody: 128 << 20,
		HealthPath: &noHealth, MultipartMaxFiles: 3, MultipartMaxFields: 4, UploadMemoryMax: 5, UploadTempDir: "/tmp", MetricsPath: &metricsPath,
		CORS:      &cors.Config{AllowedOrigins: []string{"https://a.example"}, MaxAge: &zero},
		RouteCORS: map[uint16]*cors.Config{3: {AllowAllOrigins: true}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("config\n got  %+v\n want %+v", got, want)
	}
}

func TestParseConfigRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, json, wantErr string
	}{
		{"unknown key", `{"hots": "x"}`, "hots"},
		{"unknown route key", `{"routes": [{"id": 1, "method": "GET", "path": "/", "name": "x"}]}`, "name"},
		{"not JSON", `{`, "server config"},
		{"wrong type", `{"port": "80"}`, "server config"},
		{"port too big", `{"port": 65536}`, "port 65536 out of range"},
		{"port negative", `{"port": -1}`, "port -1 out of range"},
		{"health path without a slash", `{"health_path": "health"}`, "health_path"},
		{"route on the health path", `{"routes": [{"id": 0, "method": "GET", "path": "/health"}]}`, "shadowed by the health endpoint"},
		{"unknown CORS key", `{"cors": {"origins": []}}`, "origins"},
	}
	for _, key := range []string{"backlog", "handler_timeout_ms", "max_body_size", "max_header_bytes",
		"read_timeout_ms", "write_timeout_ms", "idle_timeout_ms", "max_connections", "max_headers", "max_uri_bytes"} {
		tests = append(tests, struct{ name, json, wantErr string }{
			"negative " + key, fmt.Sprintf(`{%q: -5}`, key), key + " must be positive, got -5",
		})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := ParseConfig([]byte(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParseConfig(%s) = %+v, %v; want an error containing %q", tt.json, cfg, err, tt.wantErr)
			}
		})
	}
}

func TestNewRejectsBadRoutes(t *testing.T) {
	t.Parallel()
	for _, rs := range [][]router.Route{
		{{ID: 1, Method: "GET", Path: "no-slash"}},
		{{ID: 1, Method: "BREW", Path: "/"}},
		{{ID: 1, Method: "GET", Path: "/a"}, {ID: 2, Method: "GET", Path: "/a"}},
	} {
		cfg := &Config{Routes: rs}
		cfg.applyDefaults()
		if srv, err := New(cfg); err == nil {
			srv.Close()
			t.Errorf("New accepted routes %+v", rs)
		}
	}
}

func TestConfigRejectsShadowedMetricsPath(t *testing.T) {
	t.Parallel()
	_, err := ParseConfig([]byte(`{"routes":[{"id":0,"method":"GET","path":"/metrics"}]}`))
	if err == nil || !strings.Contains(err.Error(), "METRICS_PATH") {
		t.Fatalf("got %v", err)
	}
	if _, err := ParseConfig([]byte(`{"compression":{"backend":"lzma"}}`)); err != nil {
		t.Fatalf("compression is compiled by New, not ParseConfig: %v", err)
	}
}
