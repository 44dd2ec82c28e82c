package bridge

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
)

func TestRequestRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  Request
	}{
		{"empty", Request{ID: 1, Kind: KindRequest}},
		{"all fields", Request{
			ID: 7<<32 | 3, Kind: KindRequest, Method: 2, Route: 513, Flags: 1,
			Path: []byte("/items/42"), Params: []byte("42\x00a/b"), Query: []byte("q\x00x y"),
			Headers: []byte("host\x00example\x00x-a\x00b"), Body: []byte(`{"a":1}`), Extra: []byte(`{"context":{}}`),
		}},
		{"body only", Request{ID: 1<<64 - 1, Kind: KindRequest, Method: 7, Route: 1<<16 - 1, Flags: 1<<16 - 1, Body: bytes.Repeat([]byte{0xff}, 300)}},
		{"binary params", Request{ID: 9, Kind: KindRequest, Params: []byte{0, 0, 0}, Query: []byte{0}}},
		{"body apart", Request{ID: 3, Kind: KindRequest, Path: []byte("/up"), BodyApart: 1 << 20, Extra: []byte("{}")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := AppendRequest([]byte("prefix"), &tt.req)
			if !bytes.HasPrefix(rec, []byte("prefix")) {
				t.Fatalf("AppendRequest clobbered dst: %q", rec)
			}
			rec = rec[len("prefix"):]
			want := RequestHeaderSize + len(tt.req.Path) + len(tt.req.Params) + len(tt.req.Query) + len(tt.req.Headers) + len(tt.req.Body) + len(tt.req.Extra)
			if len(rec) != want {
				t.Fatalf("record is %d bytes, want %d", len(rec), want)
			}
			got, n, err := DecodeRequest(rec)
			if err != nil || n != len(rec) {
				t.Fatalf("DecodeRequest = n %d, err %v; want n %d", n, err, len(rec))
			}
			assertSameRequest(t, got, tt.req)
		})
	}
}

func assertSameRequest(t *testing.T, got, want Request) {
	t.Helper()
	norm := func(r Request) Request {
		for _, b := range []*[]byte{&r.Path, &r.Params, &r.Query, &r.Headers, &r.Body, &r.Extra} {
			if len(*b) == 0 {
				*b = nil
			}
		}
		return r
	}
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("decoded request\n got  %+v\n want %+v", g, w)
	}
}

func TestCancelRecord(t *testing.T) {
	t.Parallel()
	rec := AppendCancel(nil, 5<<32|9)
	if len(rec) != RequestHeaderSize {
		t.Fatalf("cancel record is %d bytes, want %d", len(rec), RequestHeaderSize)
	}
	got, n, err := DecodeRequest(rec)
	if err != nil || n != RequestHeaderSize {
		t.Fatalf("DecodeRequest = n %d, err %v", n, err)
	}
	assertSameRequest(t, got, Request{ID: 5<<32 | 9, Kind: KindCancel})
}

func TestResponseRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		resp Response
	}{
		{"empty", Response{ID: 1, Kind: KindResponse, Status: 204}},
		{"headers and body", Response{ID: 3<<32 | 1, Kind: KindResponse, ContentType: 1, Status: 200,
			Headers: []byte("x-a\x00b\x00set-cookie\x00c=d"), Body: []byte(`{"ok":true}`)}},
		{"max values", Response{ID: 1<<64 - 1, Kind: 255, ContentType: 255, Status: 65535, Body: bytes.Repeat([]byte("z"), 70000)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := AppendResponse(nil, &tt.resp)
			if want := ResponseHeaderSize + len(tt.resp.Headers) + len(tt.resp.Body); len(rec) != want {
				t.Fatalf("record is %d bytes, want %d", len(rec), want)
			}
			got, n, err := DecodeResponse(rec)
			if err != nil || n != len(rec) {
				t.Fatalf("DecodeResponse = n %d, err %v; want n %d", n, err, len(rec))
			}
			if got.ID != tt.resp.ID || got.Kind != tt.resp.Kind || got.ContentType != tt.resp.ContentType ||
				got.Status != tt.resp.Status || !bytes.Equal(got.Headers, tt.resp.Headers) || !bytes.Equal(got.Body, tt.resp.Body) {
				t.Fatalf("decoded response\n got  %+v\n want %+v", got, tt.resp)
			}
		})
	}
}

func TestDecodeConsecutiveRecords(t *testing.T) {
	t.Parallel()
	var batch []byte
	for i := uint64(1); i <= 3; i++ {
		batch = AppendResponse(batch, &Response{ID: i, Kind: KindResponse, Status: 200, Body: bytes.Repeat([]byte("b"), int(i))})
	}
	for i := uint64(1); i <= 3; i++ {
		r, n, err := DecodeResponse(batch)
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if r.ID != i || len(r.Body) != int(i) {
			t.Fatalf("record %d decoded as id %d body %q", i, r.ID, r.Body)
		}
		batch = batch[n:]
	}
	if len(batch) != 0 {
		t.Fatalf("%d bytes left over", len(batch))
	}
}

func TestTruncatedRecordsAreShort(t *testing.T) {
	t.Parallel()
	req := AppendRequest(nil, &Request{ID: 1, Kind: KindRequest, Path: []byte("/p"), Params: []byte("x"),
		Query: []byte("q\x00v"), Headers: []byte("h\x00v"), Body: []byte("body")})
	resp := AppendResponse(nil, &Response{ID: 1, Kind: KindResponse, Status: 200, Headers: []byte("h\x00v"), Body: []byte("body")})
	for cut := range len(req) {
		if _, n, err := DecodeRequest(req[:cut]); !errors.Is(err, ErrShortRecord) || n != 0 {
			t.Errorf("DecodeRequest(%d of %d bytes) = n %d, err %v; want ErrShortRecord", cut, len(req), n, err)
		}
	}
	for cut := range len(resp) {
		if _, n, err := DecodeResponse(resp[:cut]); !errors.Is(err, ErrShortRecord) || n != 0 {
			t.Errorf("DecodeResponse(%d of %d bytes) = n %d, err %v; want ErrShortRecord", cut, len(resp), n, err)
		}
	}
}

// Lengths come from the other side of the seam: huge values must be refused, never
// turned into out-of-range slices or wrapped sums.
func TestOverflowingLengthsAreShort(t *testing.T) {
	t.Parallel()
	le := binary.LittleEndian
	reqWith := func(field int, v uint32) []byte {
		b := AppendRequest(nil, &Request{ID: 1, Kind: KindRequest, Body: []byte("0123456789")})
		le.PutUint32(b[16+4*field:], v)
		return b
	}
	respWith := func(hl, bl uint32) []byte {
		b := AppendResponse(nil, &Response{ID: 1, Kind: KindResponse, Status: 200, Body: []byte("0123456789")})
		le.PutUint32(b[12:], hl)
		le.PutUint32(b[16:], bl)
		return b
	}
	reqs := map[string][]byte{
		"path max":          reqWith(0, 1<<32-1),
		"params max":        reqWith(1, 1<<32-1),
		"query max":         reqWith(2, 1<<32-1),
		"headers max":       reqWith(3, 1<<32-1),
		"body max":          reqWith(4, 1<<32-1),
		"body one too long": reqWith(4, 11),
		"path eats body":    reqWith(0, 10), // path takes the body's bytes, body then overruns
	}
	for name, b := range reqs {
		if _, _, err := DecodeRequest(b); !errors.Is(err, ErrShortRecord) {
			t.Errorf("request %s: err %v, want ErrShortRecord", name, err)
		}
	}
	resps := map[string][]byte{
		"both max":          respWith(1<<32-1, 1<<32-1),
		"headers max":       respWith(1<<32-1, 0),
		"sum wraps 32 bits": respWith(1<<32-1, 11),
		"body one too long": respWith(0, 11),
		"split one over":    respWith(6, 5),
	}
	for name, b := range resps {
		if _, _, err := DecodeResponse(b); !errors.Is(err, ErrShortRecord) {
			t.Errorf("response %s: err %v, want ErrShortRecord", name, err)
		}
	}
	if r, n, err := DecodeResponse(respWith(4, 6)); err != nil || n != len(respWith(4, 6)) || string(r.Headers) != "0123" || string(r.Body) != "456789" {
		t.Errorf("exact split: %+v n %d err %v", r, n, err)
	}
}
