package multipart

import (
	"bufio"
	"bytes"
	"errors"
	"net/textproto"
)

// partScanner walks a multipart body held in memory (RFC 2046 5.1, RFC 7578).
//
// Speed: fasthttp has read the whole body already, so delimiters are found with one scan
// over it (delimiterFinder) and parts are slices of it. mime/multipart's Reader scans
// through a 4 KB window with several copies per byte; on a 1 MiB upload that was the
// largest cost of the request (bench/RESULTS.md, issue 3). Semantics follow mime/multipart's: a preamble
// before the first delimiter and an epilogue after the last are ignored, a delimiter line
// may carry trailing spaces or tabs, LF-only line ends are accepted when the first
// delimiter line uses them.
type partScanner struct {
	body      []byte
	pos       int    // start of the next delimiter line ("--boundary...")
	dash      []byte // "--" + boundary
	find      delimiterFinder
	nl        []byte // the line end: "\r\n", or "\n" after an LF-only first line
	maxHeader int    // part header block limit (the request's header limit)
	started   bool
}

type rawPart struct {
	header textproto.MIMEHeader
	data   []byte // a slice of the body
}

var (
	errPartsEOF       = errors.New("multipart: unexpected EOF")
	errPartHeaderSize = errors.New("multipart: part headers too large")
	errBadDelimiter   = errors.New("multipart: malformed delimiter line")
)

func newPartScanner(body []byte, boundary string, maxHeader int) *partScanner {
	dash := []byte("--" + boundary)
	return &partScanner{body: body, dash: dash, find: newDelimiterFinder(dash), nl: []byte("\r\n"), maxHeader: maxHeader}
}

// next returns the next part, or (nil, nil) after the closing delimiter.
func (s *partScanner) next() (*rawPart, error) {
	first := !s.started
	if first {
		s.started = true
		if !bytes.HasPrefix(s.body, s.dash) { // a preamble before the first delimiter
			i := s.findDelimiter(0, []byte("\n"))
			if i < 0 {
				return nil, errPartsEOF
			}
			s.pos = i + 1
		}
	}
	rest := s.body[s.pos+len(s.dash):]
	if bytes.HasPrefix(rest, []byte("--")) {
		return nil, nil // the closing delimiter; the epilogue is ignored
	}
	rest = bytes.TrimLeft(rest, " \t")
	switch {
	case bytes.HasPrefix(rest, s.nl):
	case first && bytes.HasPrefix(rest, []byte("\n")):
		s.nl = []byte("\n") // LF-only line ends, as the first delimiter line shows
	case len(rest) == 0:
		return nil, errPartsEOF
	default:
		return nil, errBadDelimiter
	}
	start := len(s.body) - len(rest) + len(s.nl)
	header, dataStart, err := s.header(start)
	if err != nil {
		return nil, err
	}
	// An empty part may end right at the next delimiter line.
	if data := s.body[dataStart:]; bytes.HasPrefix(data, s.dash) && delimiterEnds(data[len(s.dash):]) {
		s.pos = dataStart
		return &rawPart{header: header, data: data[:0]}, nil
	}
	end := s.findDelimiter(dataStart, s.nl)
	if end < 0 {
		return nil, errPartsEOF
	}
	s.pos = end + len(s.nl)
	return &rawPart{header: header, data: s.body[dataStart:end]}, nil
}

// header parses the part's header block starting at i; it returns where the data starts.
// Like textproto, a line ends at LF (CR LF or a bare LF) and an empty line ends the block.
func (s *partScanner) header(i int) (textproto.MIMEHeader, int, error) {
	rest := s.body[i:]
	end := 0
	for {
		n := bytes.IndexByte(rest[end:], '\n')
		if n < 0 {
			if len(rest) > s.maxHeader {
				return nil, 0, errPartHeaderSize
			}
			return nil, 0, errPartsEOF
		}
		line := rest[end : end+n]
		end += n + 1
		if len(line) == 0 || len(line) == 1 && line[0] == '\r' {
			break
		}
		if end > s.maxHeader {
			return nil, 0, errPartHeaderSize
		}
	}
	if end <= 2 { // no headers at all
		return textproto.MIMEHeader{}, i + end, nil
	}
	block := rest[:end]
	h, err := textproto.NewReader(bufio.NewReaderSize(bytes.NewReader(block), len(block)+16)).ReadMIMEHeader()
	if err != nil {
		return nil, 0, errors.New("multipart: malformed part header")
	}
	return h, i + end, nil
}

// findDelimiter returns the index of the line end that precedes a delimiter line at or
// after from: nl + "--" + boundary followed by "--", a space, a tab or a line end (the
// boundary text inside data does not count).
func (s *partScanner) findDelimiter(from int, nl []byte) int {
	for from <= len(s.body) {
		i := s.find.index(s.body, from)
		if i < 0 {
			return -1
		}
		after := i + len(s.dash)
		if i-len(nl) >= from && bytes.Equal(s.body[i-len(nl):i], nl) && delimiterEnds(s.body[after:]) {
			return i - len(nl)
		}
		from = i + 1
	}
	return -1
}

func delimiterEnds(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	switch b[0] {
	case ' ', '\t', '\r', '\n':
		return true
	case '-':
		return len(b) >= 2 && b[1] == '-'
	}
	return false
}
