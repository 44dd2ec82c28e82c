// Package bridge moves requests from fasthttp goroutines to the Python event loop and
// responses back, without either side ever waiting on the other's locks.
//
// Both directions use flat little-endian records so that Python can parse a whole batch
// with struct.unpack_from and bytes slicing, and Go can parse a batch of responses
// without allocating. See shared/design/bridge.md.
package bridge

import (
	"encoding/binary"
	"errors"
)

// Record kinds. The kind byte lets the same bridge later carry streamed response chunks
// and WebSocket messages without a new wire format.
const (
	KindRequest uint8 = 1 // Go -> Python: a request for a route handler.
	// KindCancel: Go -> Python: stop working on request id (timeout, shutdown, or the client
	// went away during a streamed reply).
	KindCancel uint8 = 2
	// KindCredit: Go -> Python: the streamed reply id may send Flags more chunks (Go took
	// that many off the stream's queue). See stream.go.
	KindCredit uint8 = 3

	KindResponse uint8 = 1 // Python -> Go: a complete response.
	KindFile     uint8 = 2 // Python -> Go: the body is the absolute path of a file Go sends.
	// KindStreamStart: Python -> Go: status, content type and headers of a streamed reply
	// (empty body); its body follows as KindChunk records and ends with KindStreamEnd.
	KindStreamStart uint8 = 3
	KindChunk       uint8 = 4 // Python -> Go: the next piece of a streamed body.
	// KindStreamEnd: Python -> Go: the streamed body is complete (status 0), or the
	// generator failed (status 1) and the connection is closed after what was sent.
	KindStreamEnd uint8 = 5
)

// RequestHeaderSize is the fixed part of a request record:
//
//	id u64 | kind u8 | method u8 | route u16 | flags u16 | record_flags u16 |
//	path_len u32 | params_len u32 | query_len u32 | headers_len u32 | body_len u32 | extra_len u32
//
// followed by path, params, query, headers, body and extra bytes in that order. Params are
// the path parameter values in route order, query is key,value pairs and headers are
// name,value pairs; every list is joined with NUL separators (Go rejects NUL in inputs).
// Extra is empty or one JSON object from Go middleware (package extra). With
// RecordBodyApart in record_flags the body section is absent: body_len is the size of the
// body that Bridge.ReadBody copies out.
const RequestHeaderSize = 40

// RecordBodyApart (record_flags): the body is not in the record; see BodyApartMin.
const RecordBodyApart uint16 = 1

// BodyApartMin: bodies larger than this travel apart from their record. Python copies
// such a body from fasthttp's buffer straight into the bytes object its handler gets
// (Bridge.ReadBody), instead of it being copied into the record, into the poll buffer,
// into Python's copy of the batch and out of that again (1 MiB upload: 2.7 -> 0.47 ms of
// server CPU per request, with the multipart change, bench/RESULTS.md). Smaller bodies
// stay inline: the extra C call and bytes allocation (~3 us) cost about what those three
// copies of 32 KiB do.
const BodyApartMin = 32 << 10

// ResponseHeaderSize is the fixed part of a response record:
//
//	id u64 | kind u8 | content_type u8 | status u16 | headers_len u32 | body_len u32 | reserved u32
//
// followed by headers ("name\0value\0" repeated) and the body.
const ResponseHeaderSize = 24

// Request is the decoded view of a request record (used by tests and tools; the hot path
// encodes directly with AppendRequest).
type Request struct {
	ID      uint64
	Kind    uint8
	Method  uint8
	Route   uint16
	Flags   uint16
	Path    []byte
	Params  []byte
	Query   []byte
	Headers []byte
	Body    []byte
	Extra   []byte
	// BodyApart is the size of a body left out of the record (RecordBodyApart); Body is
	// then empty.
	BodyApart uint32
}

// AppendRequest appends the record for r to dst and returns the extended slice.
func AppendRequest(dst []byte, r *Request) []byte {
	var h [RequestHeaderSize]byte
	le := binary.LittleEndian
	le.PutUint64(h[0:], r.ID)
	h[8] = r.Kind
	h[9] = r.Method
	le.PutUint16(h[10:], r.Route)
	le.PutUint16(h[12:], r.Flags)
	le.PutUint32(h[16:], uint32(len(r.Path)))
	le.PutUint32(h[20:], uint32(len(r.Params)))
	le.PutUint32(h[24:], uint32(len(r.Query)))
	le.PutUint32(h[28:], uint32(len(r.Headers)))
	le.PutUint32(h[32:], uint32(len(r.Body)))
	if r.BodyApart > 0 {
		le.PutUint16(h[14:], RecordBodyApart)
		le.PutUint32(h[32:], r.BodyApart)
	}
	le.PutUint32(h[36:], uint32(len(r.Extra)))
	dst = append(dst, h[:]...)
	dst = append(dst, r.Path...)
	dst = append(dst, r.Params...)
	dst = append(dst, r.Query...)
	dst = append(dst, r.Headers...)
	if r.BodyApart == 0 {
		dst = append(dst, r.Body...)
	}
	return append(dst, r.Extra...)
}

// AppendCancel appends a cancel record for id.
func AppendCancel(dst []byte, id uint64) []byte {
	return AppendRequest(dst, &Request{ID: id, Kind: KindCancel})
}

// AppendCredit appends a credit record: stream id may send n more chunks.
func AppendCredit(dst []byte, id uint64, n uint16) []byte {
	return AppendRequest(dst, &Request{ID: id, Kind: KindCredit, Flags: n})
}

// ErrShortRecord is returned when a buffer ends in the middle of a record.
var ErrShortRecord = errors.New("bridge: truncated record")

// DecodeRequest parses one request record from b. The returned slices alias b.
func DecodeRequest(b []byte) (r Request, n int, err error) {
	if len(b) < RequestHeaderSize {
		return r, 0, ErrShortRecord
	}
	le := binary.LittleEndian
	r.ID = le.Uint64(b[0:])
	r.Kind = b[8]
	r.Method = b[9]
	r.Route = le.Uint16(b[10:])
	r.Flags = le.Uint16(b[12:])
	var lens [6]uint32
	for i := range lens {
		lens[i] = le.Uint32(b[16+4*i:])
	}
	if le.Uint16(b[14:])&RecordBodyApart != 0 {
		r.BodyApart, lens[4] = lens[4], 0
	}
	n = RequestHeaderSize
	parts := [6]*[]byte{&r.Path, &r.Params, &r.Query, &r.Headers, &r.Body, &r.Extra}
	for i, l := range lens {
		if uint64(len(b)-n) < uint64(l) {
			return r, 0, ErrShortRecord
		}
		*parts[i] = b[n : n+int(l)]
		n += int(l)
	}
	return r, n, nil
}

// Response is one response record as parsed from Python's batch. Headers and Body alias
// the batch buffer, so they are only valid until the batch call returns.
type Response struct {
	ID          uint64
	Kind        uint8
	ContentType uint8
	Status      uint16
	Headers     []byte
	Body        []byte
}

// AppendResponse appends the record for r to dst (Python does the same in _dispatch.py;
// Go uses this in tests).
func AppendResponse(dst []byte, r *Response) []byte {
	var h [ResponseHeaderSize]byte
	le := binary.LittleEndian
	le.PutUint64(h[0:], r.ID)
	h[8] = r.Kind
	h[9] = r.ContentType
	le.PutUint16(h[10:], r.Status)
	le.PutUint32(h[12:], uint32(len(r.Headers)))
	le.PutUint32(h[16:], uint32(len(r.Body)))
	dst = append(dst, h[:]...)
	dst = append(dst, r.Headers...)
	return append(dst, r.Body...)
}

// DecodeResponse parses one response record from b. The returned slices alias b.
func DecodeResponse(b []byte) (r Response, n int, err error) {
	if len(b) < ResponseHeaderSize {
		return r, 0, ErrShortRecord
	}
	le := binary.LittleEndian
	r.ID = le.Uint64(b[0:])
	r.Kind = b[8]
	r.ContentType = b[9]
	r.Status = le.Uint16(b[10:])
	hl, bl := uint64(le.Uint32(b[12:])), uint64(le.Uint32(b[16:]))
	n = ResponseHeaderSize
	if uint64(len(b)-n) < hl+bl {
		return r, 0, ErrShortRecord
	}
	r.Headers = b[n : n+int(hl)]
	n += int(hl)
	r.Body = b[n : n+int(bl)]
	n += int(bl)
	return r, n, nil
}
