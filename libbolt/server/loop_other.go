//go:build !linux

package server

import (
	"errors"
	"net"

	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// The loop front end is epoll's (loop_linux.go); elsewhere fasthttp reads the sockets and
// Config.validate refuses FRONT_END = "loop".
const loopSupported = false

func (s *Server) startLoops(*net.TCPListener) (net.Listener, error) {
	return nil, errors.New("loop front end: Linux only")
}

func (s *Server) buildLoopRoutes([]*router.Compiled) []*loopRoute { return nil }
