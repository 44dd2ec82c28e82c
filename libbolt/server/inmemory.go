package server

import (
	"bufio"
	"bytes"
	"errors"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// The in-memory transport serves the Python test client: the same router, middleware and
// bridge as a real server, without a socket or a port.

// StartInMemory serves on an in-memory listener; use RoundTrip to send requests.
func (s *Server) StartInMemory() {
	s.mem = fasthttputil.NewInmemoryListener()
	s.StartOn(s.mem)
}

// ErrNotInMemory is returned by RoundTrip on a server started with Start.
var ErrNotInMemory = errors.New("server was not started with StartInMemory")

// RoundTrip sends one raw HTTP/1.1 request over a fresh in-memory connection and returns
// the response re-serialised with a Content-Length (chunked bodies are decoded). It blocks
// until the handler answered: never call it from the thread that runs the Python loop.
func (s *Server) RoundTrip(raw []byte) ([]byte, error) {
	if s.mem == nil {
		return nil, ErrNotInMemory
	}
	conn, err := s.mem.Dial()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.Write(raw); err != nil {
		return nil, err
	}
	var resp fasthttp.Response
	resp.SkipBody = bytes.HasPrefix(raw, []byte("HEAD "))
	if err := resp.Read(bufio.NewReader(conn)); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if _, err := resp.WriteTo(&out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
