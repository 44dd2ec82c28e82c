package server

import "testing"

// BenchmarkScanHeaders is the per-request cost of the pre-routing header checks on a
// typical browser request.
func BenchmarkScanHeaders(b *testing.B) {
	raw := []byte("Host: api.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0\r\n" +
		"Accept: application/json\r\nAccept-Language: en-GB,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n" +
		"Origin: https://app.example.com\r\nConnection: keep-alive\r\nCookie: sessionid=abc; csrftoken=def\r\n\r\n")
	b.ReportAllocs()
	for b.Loop() {
		var f headerFacts
		if status, _ := scanHeaders(raw, 100, &f); status != 0 {
			b.Fatalf("status %d", status)
		}
	}
}

// BenchmarkRequestID is the cost of generating an id.
func BenchmarkRequestID(b *testing.B) {
	g := newRequestIDs()
	var buf [32]byte
	b.ReportAllocs()
	for b.Loop() {
		_ = g.append(buf[:0])
	}
}
