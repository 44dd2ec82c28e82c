// Package bridge moves requests from fasthttp goroutines to the Python event loop and
// responses back, without either side ever waiting on the other's locks.
//
// Both directions use flat little-endian records so that Python can parse a whole batch
// with struct.unpack_from and bytes slicing, and Go can parse a batch of responses
// without allocating. See docs/bridge.md.
//
// record.go is the Go home of the wire protocol: every record layout, kind, content type,
// method code and route flag is defined here and only here (Python's twin is its wire
// module), so a layout change is a change to this file.
package bridge

import (
	"bytes"
	"encoding/binary"
	"errors"
	"unicode/utf8"
)

// ABIVersion is the version of the C ABI and of every record layout in this file; bump it
// with any layout change. Python's twin (ABI_VERSION in django_bolt/_native/wire.py) must
// match: Python refuses to run against a library whose version differs from its own.
const ABIVersion = 7

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

// WebSocket record kinds (see docs/websockets.md). A WebSocket connection is a slot like a
// request: its upgrade request travels as KindSocketOpen, and once Python accepted it the
// slot stays in the socket state until the connection ends, so every message record is
// checked against the slot's id and generation exactly like a reply.
const (
	// KindSocketOpen: Go -> Python: a request record for a WebSocket route, before the
	// handshake. Python answers KindSocketAccept (Go completes the handshake) or an
	// ordinary KindResponse (the upgrade is refused with that reply).
	KindSocketOpen uint8 = 4
	// KindSocketMessage: Go -> Python: a data message; the flags field is the opcode
	// (SocketText, SocketBinary), the body section the payload.
	KindSocketMessage uint8 = 5
	// KindSocketClosed: Go -> Python: the connection is gone; flags is the close code (the
	// peer's, or the one Go closed with), the body section the reason. Nothing follows.
	KindSocketClosed uint8 = 6
	// KindCredit (above) also returns send credits of a socket: SocketWindow per socket.

	// KindSocketAccept: Python -> Go: complete the handshake; the header block carries
	// extra handshake headers, the body the chosen subprotocol (empty: none).
	KindSocketAccept uint8 = 6
	// KindSocketSend: Python -> Go: one message; content_type is the opcode, body the payload.
	// Spends one send credit.
	KindSocketSend uint8 = 7
	// KindSocketClose: Python -> Go: close with status as the code and body as the reason.
	KindSocketClose uint8 = 8
	// KindSocketAck: Python -> Go: the handler consumed status more messages; Go may read
	// that many more from the socket (inbound flow control, SocketWindow).
	KindSocketAck uint8 = 9
	// KindSocketJoin / KindSocketLeave: Python -> Go: the socket joins / leaves the group
	// named by the body.
	KindSocketJoin  uint8 = 10
	KindSocketLeave uint8 = 11
	// KindSocketBroadcast: Python -> Go: send the body to every member of the group named
	// by the header block; content_type is the opcode. The id is 0 (no socket needed).
	KindSocketBroadcast uint8 = 12
)

// WebSocket opcodes as they travel in records (RFC 6455 numbers).
const (
	SocketText   uint8 = 1
	SocketBinary uint8 = 2
)

// SocketWindow bounds each direction of a socket: Python may have this many sent messages
// that Go has not written yet (it then waits for KindCredit), and Go reads at most this
// many messages ahead of the handler (it then stops reading the socket until
// KindSocketAck, and TCP pushes back on the client).
const SocketWindow = 16

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
const RequestHeaderSize = reqOffLens + 4*NumSections

// Byte offsets of the fields of a request record's fixed part.
const (
	reqOffID          = 0
	reqOffKind        = 8
	reqOffMethod      = 9
	reqOffRoute       = 10
	reqOffFlags       = 12
	reqOffRecordFlags = 14
	reqOffLens        = 16 // NumSections u32 lengths, in section order
)

// Sections of a request record, in wire order (the index of each length in the fixed part).
const (
	SectionPath = iota
	SectionParams
	SectionQuery
	SectionHeaders
	SectionBody
	SectionExtra
	NumSections
)

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

// Byte offsets of the fields of a response record's fixed part.
const (
	respOffID          = 0
	respOffKind        = 8
	respOffContentType = 9
	respOffStatus      = 10
	respOffHeadersLen  = 12
	respOffBodyLen     = 16
)

// Route flags, set by Python at registration and copied into every request record.
const (
	// FlagHeaders asks Go to copy the request headers into the record; routes whose
	// handler never looks at headers skip that copy.
	FlagHeaders uint16 = 1 << 0
	// FlagASGI marks routes answered by an ASGI application (mount_asgi and the Django
	// fallback): the query section carries the raw query string instead of decoded pairs,
	// and the extra section the client address, both of which an ASGI scope needs.
	FlagASGI uint16 = 1 << 1
	// FlagMultipart asks Go to parse a multipart/form-data body into form fields and
	// files (routes with Form/File parameters or a request argument).
	FlagMultipart uint16 = 1 << 2
	// FlagWebSocket marks a WebSocket route: Go checks the upgrade and hands it to Python as
	// KindSocketOpen.
	FlagWebSocket uint16 = 1 << 3
)

// Content-type codes of response records: the common ones travel as a byte instead of a
// header string (0: the handler set Content-Type itself, or none).
const (
	ContentTypeNone uint8 = iota
	ContentTypeJSON
	ContentTypeText
	ContentTypeOctetStream
	ContentTypeHTML
)

// ContentTypes maps a content-type code to its header value; codes at or past its length
// are invalid.
var ContentTypes = [...][]byte{
	ContentTypeNone:        nil,
	ContentTypeJSON:        []byte("application/json"),
	ContentTypeText:        []byte("text/plain; charset=utf-8"),
	ContentTypeOctetStream: []byte("application/octet-stream"),
	ContentTypeHTML:        []byte("text/html; charset=utf-8"),
}

// Method codes of request records (0: a method with no code).
const (
	MethodGET uint8 = 1 + iota
	MethodPOST
	MethodPUT
	MethodPATCH
	MethodDELETE
	MethodHEAD
	MethodOPTIONS
	MethodQUERY // the HTTP QUERY method (a safe GET with a body; django-bolt's @api.query)
)

// MethodCodes maps an HTTP method to its code in request records.
var MethodCodes = map[string]uint8{
	"GET": MethodGET, "POST": MethodPOST, "PUT": MethodPUT, "PATCH": MethodPATCH,
	"DELETE": MethodDELETE, "HEAD": MethodHEAD, "OPTIONS": MethodOPTIONS, "QUERY": MethodQUERY,
}

// CleanText reports whether b may travel in a record list: valid UTF-8 without NUL (NUL
// separates list items).
func CleanText(b []byte) bool {
	return bytes.IndexByte(b, 0) < 0 && utf8.Valid(b)
}

// AppendUnescaped percent-decodes a raw path segment onto dst for a record (router values
// are not decoded, so "%2F" stays inside one parameter instead of splitting the path). It
// reports false for a broken escape or a result CleanText refuses.
func AppendUnescaped(dst []byte, s string) ([]byte, bool) {
	mark := len(dst)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
				return dst, false
			}
			c = byte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
		}
		dst = append(dst, c)
	}
	return dst, CleanText(dst[mark:])
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// PutRequestHeader writes the fixed part of a request record into h (at least
// RequestHeaderSize bytes). lens are the section lengths in section order; with
// RecordBodyApart, lens[SectionBody] is the size of the body left out.
func PutRequestHeader(h []byte, id uint64, kind, method uint8, route, flags, recordFlags uint16, lens *[NumSections]uint32) {
	_ = h[RequestHeaderSize-1]
	le := binary.LittleEndian
	le.PutUint64(h[reqOffID:], id)
	h[reqOffKind] = kind
	h[reqOffMethod] = method
	le.PutUint16(h[reqOffRoute:], route)
	le.PutUint16(h[reqOffFlags:], flags)
	le.PutUint16(h[reqOffRecordFlags:], recordFlags)
	for i, l := range lens {
		le.PutUint32(h[reqOffLens+4*i:], l)
	}
}

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
	lens := [NumSections]uint32{
		SectionPath:    uint32(len(r.Path)),
		SectionParams:  uint32(len(r.Params)),
		SectionQuery:   uint32(len(r.Query)),
		SectionHeaders: uint32(len(r.Headers)),
		SectionBody:    uint32(len(r.Body)),
		SectionExtra:   uint32(len(r.Extra)),
	}
	var recordFlags uint16
	if r.BodyApart > 0 {
		recordFlags = RecordBodyApart
		lens[SectionBody] = r.BodyApart
	}
	PutRequestHeader(h[:], r.ID, r.Kind, r.Method, r.Route, r.Flags, recordFlags, &lens)
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
	r.ID = le.Uint64(b[reqOffID:])
	r.Kind = b[reqOffKind]
	r.Method = b[reqOffMethod]
	r.Route = le.Uint16(b[reqOffRoute:])
	r.Flags = le.Uint16(b[reqOffFlags:])
	var lens [NumSections]uint32
	for i := range lens {
		lens[i] = le.Uint32(b[reqOffLens+4*i:])
	}
	if le.Uint16(b[reqOffRecordFlags:])&RecordBodyApart != 0 {
		r.BodyApart, lens[SectionBody] = lens[SectionBody], 0
	}
	n = RequestHeaderSize
	parts := [NumSections]*[]byte{
		SectionPath: &r.Path, SectionParams: &r.Params, SectionQuery: &r.Query,
		SectionHeaders: &r.Headers, SectionBody: &r.Body, SectionExtra: &r.Extra,
	}
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
	le.PutUint64(h[respOffID:], r.ID)
	h[respOffKind] = r.Kind
	h[respOffContentType] = r.ContentType
	le.PutUint16(h[respOffStatus:], r.Status)
	le.PutUint32(h[respOffHeadersLen:], uint32(len(r.Headers)))
	le.PutUint32(h[respOffBodyLen:], uint32(len(r.Body)))
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
	r.ID = le.Uint64(b[respOffID:])
	r.Kind = b[respOffKind]
	r.ContentType = b[respOffContentType]
	r.Status = le.Uint16(b[respOffStatus:])
	hl, bl := uint64(le.Uint32(b[respOffHeadersLen:])), uint64(le.Uint32(b[respOffBodyLen:]))
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

// AppendSocketEvent appends a Go -> Python socket record (KindSocketMessage or
// KindSocketClosed) for socket id: flags is the opcode or the close code, body the payload
// or the reason.
func AppendSocketEvent(dst []byte, id uint64, kind uint8, flags uint16, body []byte) []byte {
	return AppendRequest(dst, &Request{ID: id, Kind: kind, Flags: flags, Body: body})
}
