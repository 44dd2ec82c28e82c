package bridge

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func responseSeeds() [][]byte {
	ok := AppendResponse(nil, &Response{ID: 1 << 32, Kind: KindResponse, ContentType: 1, Status: 200,
		Headers: []byte("x-a\x00b"), Body: []byte(`{"a":1}`)})
	huge := bytes.Clone(ok)
	binary.LittleEndian.PutUint32(huge[12:], 1<<32-1)
	binary.LittleEndian.PutUint32(huge[16:], 1<<32-1)
	return [][]byte{
		nil,
		ok,
		ok[:ResponseHeaderSize],
		ok[:len(ok)-1],
		append(bytes.Clone(ok), ok...),
		huge,
		bytes.Repeat([]byte{0xff}, ResponseHeaderSize+8),
	}
}

// FuzzDecodeResponse checks that any bytes either decode into a record that re-encodes to
// the same bytes, or are refused as truncated; never a panic.
func FuzzDecodeResponse(f *testing.F) {
	for _, s := range responseSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, n, err := DecodeResponse(data)
		if err != nil {
			if !errors.Is(err, ErrShortRecord) || n != 0 {
				t.Fatalf("DecodeResponse = n %d, err %v", n, err)
			}
			return
		}
		if n < ResponseHeaderSize || n > len(data) {
			t.Fatalf("n = %d for %d bytes", n, len(data))
		}
		want := bytes.Clone(data[:n])
		clear(want[20:24]) // reserved, not kept
		if got := AppendResponse(nil, &r); !bytes.Equal(got, want) {
			t.Fatalf("re-encoded record differs:\n got  %x\n want %x", got, want)
		}
	})
}

// FuzzDecodeRequest does the same for request records.
func FuzzDecodeRequest(f *testing.F) {
	full := AppendRequest(nil, &Request{ID: 1, Kind: KindRequest, Method: 1, Route: 2, Flags: 1,
		Path: []byte("/a"), Params: []byte("x"), Query: []byte("q\x00v"), Headers: []byte("h\x00v"), Body: []byte("b"), Extra: []byte(`{"k":1}`)})
	f.Add(full)
	f.Add(full[:len(full)-1])
	f.Add(AppendCancel(nil, 7))
	f.Add(AppendRequest(nil, &Request{ID: 2, Kind: KindRequest, Path: []byte("/up"), BodyApart: 1 << 20, Extra: []byte("{}")}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, n, err := DecodeRequest(data)
		if err != nil {
			if !errors.Is(err, ErrShortRecord) || n != 0 {
				t.Fatalf("DecodeRequest = n %d, err %v", n, err)
			}
			return
		}
		if n < RequestHeaderSize || n > len(data) {
			t.Fatalf("n = %d for %d bytes", n, len(data))
		}
		want := bytes.Clone(data[:n])
		// Record flags other than RecordBodyApart are not kept, nor that flag on an empty
		// body (the same record as no body).
		want[15] = 0
		if want[14] &= byte(RecordBodyApart); r.BodyApart == 0 {
			want[14] = 0
		}
		if got := AppendRequest(nil, &r); !bytes.Equal(got, want) {
			t.Fatalf("re-encoded record differs:\n got  %x\n want %x", got, want)
		}
	})
}

// FuzzRespond feeds arbitrary batches to a bridge with two live requests (one on a reused
// slot) and checks the outcome against a model: each live id gets the first answer
// addressed to it, everything else is refused, a malformed tail is an error.
func FuzzRespond(f *testing.F) {
	for _, s := range responseSeeds() {
		f.Add(s)
	}
	// Ids the live requests get below: slot 0 generation 1, slot 1 generation 2.
	a, bLive, bOld := uint64(1)<<32, uint64(2)<<32|1, uint64(1)<<32|1
	var batch []byte
	for _, id := range []uint64{bOld, a, bLive, a, 5} {
		batch = AppendResponse(batch, &Response{ID: id, Kind: KindResponse, Status: 200, Body: binary.LittleEndian.AppendUint64(nil, id)})
	}
	f.Add(batch)
	f.Add(batch[:len(batch)-3])

	f.Fuzz(func(t *testing.T, data []byte) {
		b := New(&flagWaker{}, 4)
		live := make(map[uint64]*Slot)
		s := fuzzSubmit(b)
		live[s.ID()] = s
		b.Release(fuzzSubmit(b))
		s = fuzzSubmit(b)
		live[s.ID()] = s

		wantBody := map[uint64][]byte{}
		wantRefused, wantErr := 0, false
		for rest := data; len(rest) > 0; {
			r, n, err := DecodeResponse(rest)
			if err != nil {
				wantErr = true
				break
			}
			rest = rest[n:]
			// Chunks and stream ends need a streaming slot, socket kinds (and unknown ones
			// above them) a socket: none here, so they are refused like unknown ids.
			if r.Kind == KindChunk || r.Kind == KindStreamEnd || r.Kind >= KindSocketSend {
				wantRefused++
				continue
			}
			if _, ok := wantBody[r.ID]; live[r.ID] == nil || ok {
				wantRefused++
				continue
			}
			wantBody[r.ID] = bytes.Clone(r.Body)
		}

		refused, err := b.Respond(data)
		if refused != wantRefused || (err != nil) != wantErr {
			t.Fatalf("Respond = %d, %v; want %d refused, error %v", refused, err, wantRefused, wantErr)
		}
		for id, s := range live {
			want, answered := wantBody[id]
			if got := b.Wait(s, 0); got != answered {
				t.Fatalf("id %#x: Wait = %v, want %v", id, got, answered)
			}
			if answered && !bytes.Equal(s.Reply.Body, want) {
				t.Fatalf("id %#x: reply body %x, want %x", id, s.Reply.Body, want)
			}
		}
	})
}

func fuzzSubmit(b *Bridge) *Slot {
	s, err := b.Acquire()
	if err != nil {
		panic(err)
	}
	s.Req = AppendRequest(s.Req[:0], &Request{ID: s.ID(), Kind: KindRequest})
	b.Submit(s)
	return s
}
