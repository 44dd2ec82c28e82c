package server

import "bytes"

// framing follows the HTTP/1.1 message framing of the bytes a connection reads, request
// after request, to find every request head and refuse one that holds a bare LF (RFC 9112
// 2.2: a line ends in CRLF). fasthttp takes a bare LF as a line end inside a head but
// waits for CRLFCRLF to end the block, and keeps no raw request line, so it can neither
// refuse "X: a\nContent-Length: 39" (two headers to fasthttp, one value to a front end
// that reads lines the strict way: a desync) nor answer a head whose lines all end in LF
// (it waits for the read timeout). Checking the bytes as they arrive covers the first
// request, later ones and pipelined ones alike, whatever the split across reads.
//
// The framing is the one fasthttp applies: a body is Content-Length bytes, or chunked, or
// absent (no request body without either header, RFC 9112 6.3). Where the framing is not
// plain (a malformed or repeated Content-Length, a Transfer-Encoding other than chunked),
// the request is refused by front's header checks and the connection closed, so the scan
// stops (frameOff) rather than guess: it never refuses what it cannot frame.
//
// Speed: one pass over head bytes and chunk-size lines only; body bytes are skipped by
// arithmetic, not looked at. A /hello head is ~80 bytes.
type framing struct {
	state     frameState
	remaining int64 // frameBody: body bytes left; frameChunkData: chunk bytes (+ CRLF) left
	heads     int   // heads started on this connection (the one in progress counts)
	bad       int   // ordinal of the first head with a bare LF; 0: none
	started   bool  // frameHead: a byte of the head in progress was seen
	// Within a head: the lines seen, and of a line cut by the end of a read its length,
	// its start (enough to recognise the two framing headers) and its last byte.
	lines   int
	line    [lineKeep]byte
	lineLen int
	last    byte
	// What the head in progress declared.
	contentLength int64 // -1: no Content-Length
	chunked       bool
	unframed      bool // something the scan does not frame: stop after this head
}

type frameState uint8

const (
	frameHead      frameState = iota // in a request head (or before the first byte of one)
	frameBody                        // in a Content-Length body
	frameChunkSize                   // in a chunk-size line
	frameChunkData                   // in chunk data and its CRLF
	frameTrailer                     // in the trailer section after the last chunk
	frameOff                         // not HTTP any more (hijacked) or not framed: no scan
)

// lineKeep bytes of each head line are kept: "transfer-encoding: " is 19 bytes, and a
// Content-Length value that does not fit is not one fasthttp accepts either (refused).
const lineKeep = 48

// scan follows b, the next bytes the connection read.
func (f *framing) scan(b []byte) {
	for len(b) > 0 {
		switch f.state {
		case frameHead:
			b = f.scanHead(b)
		case frameBody:
			if int64(len(b)) < f.remaining {
				f.remaining -= int64(len(b))
				return
			}
			b = b[f.remaining:]
			f.startHead()
		case frameChunkSize, frameTrailer:
			b = f.scanChunkLine(b)
		case frameChunkData:
			if int64(len(b)) < f.remaining {
				f.remaining -= int64(len(b))
				return
			}
			b = b[f.remaining:]
			f.state, f.lineLen = frameChunkSize, 0
		default: // frameOff
			return
		}
	}
}

// startHead expects the next request's head.
func (f *framing) startHead() {
	f.state, f.started = frameHead, false
}

// scanHead reads head bytes up to the end of the head (or of b) and returns the rest.
// Speed: lines are found with bytes.IndexByte (vectorised) and looked at in place; only a
// line cut by the end of a read is copied (its first lineKeep bytes).
func (f *framing) scanHead(b []byte) []byte {
	if !f.started { // the first byte of a head
		f.started, f.heads = true, f.heads+1
		f.lines, f.lineLen, f.last = 0, 0, 0
		f.contentLength, f.chunked, f.unframed = -1, false, false
	}
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 { // a line continues in the next read
			f.keep(b)
			return nil
		}
		line, cr := b[:i], f.last == '\r'
		if i > 0 {
			cr = b[i-1] == '\r'
		}
		if !cr {
			if f.bad == 0 {
				f.bad = f.heads
			}
			f.state = frameOff // refused: the connection closes after it
			return nil
		}
		truncated := false
		if f.lineLen > 0 { // the line began in an earlier read
			f.keep(line)
			line, truncated = f.line[:min(f.lineLen, lineKeep)], f.lineLen > lineKeep
		}
		f.lineLen, f.last = 0, 0
		b = b[i+1:]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if len(line) == 0 && !truncated {
			if f.lines > 0 { // the blank line after the request line and headers
				f.endHead()
				return b
			}
			continue // blank lines before the request line are skipped, as fasthttp does
		}
		if f.lines++; f.lines > 1 { // a header line, not the request line
			f.headerLine(line, truncated)
		}
	}
	return nil
}

// keep notes part of a line that a read cut: its length, its first lineKeep bytes and its
// last byte (the CR of a CRLF split across reads).
func (f *framing) keep(part []byte) {
	if len(part) == 0 {
		return
	}
	if f.lineLen < lineKeep {
		copy(f.line[f.lineLen:], part)
	}
	f.lineLen += len(part)
	f.last = part[len(part)-1]
}

// headerLine looks at a finished header line (without its CRLF) for the framing headers.
func (f *framing) headerLine(line []byte, truncated bool) {
	if value, ok := headerValue(line, "content-length"); ok {
		cl, valid := parseLength(value)
		if truncated || !valid || (f.contentLength >= 0 && f.contentLength != cl) {
			f.unframed = true
			return
		}
		f.contentLength = cl
	} else if value, ok := headerValue(line, "transfer-encoding"); ok {
		if truncated || !asciiEqualFold(lastCoding(value), "chunked") {
			f.unframed = true
			return
		}
		f.chunked = true
	}
}

// endHead moves past a finished head to its body, or to the next head.
func (f *framing) endHead() {
	switch {
	case f.unframed || (f.chunked && f.contentLength >= 0):
		f.state = frameOff
	case f.chunked:
		f.state, f.lineLen = frameChunkSize, 0
	case f.contentLength > 0:
		f.state, f.remaining = frameBody, f.contentLength
	default:
		f.startHead()
	}
}

// scanChunkLine reads a chunk-size line or a trailer line (both end at LF, as fasthttp
// reads them) and returns the rest of b.
func (f *framing) scanChunkLine(b []byte) []byte {
	for i, ch := range b {
		if ch != '\n' {
			if f.lineLen < lineKeep {
				f.line[f.lineLen] = ch
			}
			f.lineLen++
			continue
		}
		line := f.line[:min(f.lineLen, lineKeep)]
		long := f.lineLen > lineKeep
		f.lineLen = 0
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if f.state == frameTrailer {
			if len(line) == 0 && !long {
				f.startHead() // the empty line after the trailers ends the message
			}
			return b[i+1:]
		}
		size, ok := chunkSize(line)
		switch {
		case !ok || long:
			f.state = frameOff // fasthttp refuses it and closes
		case size == 0:
			f.state = frameTrailer
		default:
			f.state, f.remaining = frameChunkData, size+2 // the data and its CRLF
		}
		return b[i+1:]
	}
	return nil
}

// headerValue is the value of line when its name is name (ASCII case-insensitive).
func headerValue(line []byte, name string) ([]byte, bool) {
	if len(line) <= len(name) || line[len(name)] != ':' || !asciiEqualFold(line[:len(name)], name) {
		return nil, false
	}
	return trimOWS(line[len(name)+1:]), true
}

// parseLength reads a Content-Length value: digits only, as RFC 9110 8.6 has it.
func parseLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// chunkSize reads the hex size of a chunk-size line, extensions after ';' ignored.
func chunkSize(line []byte) (int64, bool) {
	var n int64
	digits := 0
	for _, c := range line {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		case c == ';' || c == ' ' || c == '\t':
			return n, digits > 0
		default:
			return 0, false
		}
		if digits++; digits > 15 {
			return 0, false
		}
		n = n<<4 | int64(d)
	}
	return n, digits > 0
}

// lastCoding is the last entry of a Transfer-Encoding list.
func lastCoding(v []byte) []byte {
	for i := len(v) - 1; i >= 0; i-- {
		if v[i] == ',' {
			return trimOWS(v[i+1:])
		}
	}
	return trimOWS(v)
}

func trimOWS(v []byte) []byte {
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		v = v[1:]
	}
	for len(v) > 0 && (v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
		v = v[:len(v)-1]
	}
	return v
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
