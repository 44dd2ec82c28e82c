// Package server runs fasthttp, routes requests and hands route requests to the bridge.
package server

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// Server is one HTTP server feeding one Python event loop.
type Server struct {
	cfg     *Config
	Bridge  *bridge.Bridge
	waker   *bridge.EventFD
	http    *fasthttp.Server
	ln      net.Listener
	timeout time.Duration
	serveWG sync.WaitGroup
}

// New builds the route table and the fasthttp server; nothing is bound yet.
func New(cfg *Config) (*Server, error) {
	efd, err := bridge.NewEventFD()
	if err != nil {
		return nil, err
	}
	return newWithWaker(cfg, efd)
}

func newWithWaker(cfg *Config, efd *bridge.EventFD) (*Server, error) {
	s := &Server{cfg: cfg, waker: efd, timeout: ms(cfg.HandlerTimeoutMs)}
	// Every connection holds at most one request at a time, so the connection cap bounds
	// the slots too.
	s.Bridge = bridge.New(efd, cfg.MaxConnections)
	handler, _, err := router.Build(cfg.Routes, router.Handlers{
		Route:            s.routeHandler,
		NotFound:         notFound,
		MethodNotAllowed: methodNotAllowed,
		Panic:            recoverPanic,
	})
	if err != nil {
		efd.Close()
		return nil, err
	}
	s.http = &fasthttp.Server{
		Handler:                       handler,
		ErrorHandler:                  parseError,
		Concurrency:                   cfg.MaxConnections,
		ReadBufferSize:                cfg.MaxHeaderBytes,
		MaxRequestBodySize:            cfg.MaxBodySize,
		ReadTimeout:                   ms(cfg.ReadTimeoutMs),
		WriteTimeout:                  ms(cfg.WriteTimeoutMs),
		IdleTimeout:                   ms(cfg.IdleTimeoutMs),
		NoDefaultServerHeader:         true,
		NoDefaultContentType:          true,
		DisableHeaderNamesNormalizing: true,
		DisablePreParseMultipartForm:  true,
		CloseOnShutdown:               true,
		Logger:                        logger,
	}
	return s, nil
}

// WakeFD is the descriptor Python watches; readable means "call Poll".
func (s *Server) WakeFD() int { return s.waker.FD() }

// Start binds the listener and serves in the background.
func (s *Server) Start() error {
	ln, err := listen(s.cfg.Host, s.cfg.Port, s.cfg.Backlog)
	if err != nil {
		return err
	}
	s.StartOn(lingerListener{ln})
	return nil
}

// StartOn serves on an existing listener (tests use an in-memory one).
func (s *Server) StartOn(ln net.Listener) {
	s.ln = ln
	s.serveWG.Add(1)
	go func() {
		defer s.serveWG.Done()
		if err := s.http.Serve(ln); err != nil {
			logger.Printf("serve: %v", err)
		}
	}()
}

// Port is the bound TCP port (useful when the config asked for port 0).
func (s *Server) Port() int {
	if a, ok := s.ln.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

// Stop stops accepting, lets in-flight requests finish for up to grace, then fails the
// ones still waiting on Python with 503 and waits up to a second more for those replies to
// go out. It blocks: never call it from the loop thread.
func (s *Server) Stop(grace time.Duration) error {
	// One shutdown call spans the whole stop. A second ShutdownWithContext after the first
	// timed out returns at once (fasthttp forgets the listeners), so Stop returned before
	// the 503s were written, and the stopping flag was cleared, so those connections were
	// kept alive instead of closed.
	abandon := time.AfterFunc(grace, func() {
		n := s.Bridge.AbandonAll()
		logger.Printf("graceful stop timed out after %s; %d request(s) answered 503", grace, n)
	})
	defer abandon.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), grace+time.Second)
	defer cancel()
	err := s.http.ShutdownWithContext(ctx)
	s.serveWG.Wait()
	return err
}

// Close releases the wake-up descriptor. Call after Stop, once Python stopped watching it.
func (s *Server) Close() error { return s.waker.Close() }
