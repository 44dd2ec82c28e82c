// Command bridgeonly runs libbolt's real server and bridge with a Go goroutine in place of
// Python: it polls the wake-up fd, decodes every request record and answers with the same
// bytes as the Python /hello handler. It measures what the bridge itself costs, between
// the pure-fasthttp ceiling and the full Python server.
package main

import (
	"flag"
	"log"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/django-bolt-go/django-bolt-go/bench/internal/answer"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
	"github.com/django-bolt-go/django-bolt-go/libbolt/server"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	host, portStr, err := net.SplitHostPort(*addr)
	if err != nil {
		log.Fatal(err)
	}
	port, _ := strconv.Atoi(portStr)
	cfg, err := server.ParseConfig([]byte(`{}`))
	if err != nil {
		log.Fatal(err)
	}
	cfg.Host, cfg.Port = host, port
	for _, rt := range answer.Routes {
		cfg.Routes = append(cfg.Routes, router.Route{ID: rt.ID, Method: rt.Method, Path: rt.Path, Flags: rt.Flags})
	}
	s, err := server.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Start(); err != nil {
		log.Fatal(err)
	}
	go fakePython(s)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	_ = s.Stop(time.Second)
}

func fakePython(s *server.Server) {
	fd := s.WakeFD()
	in := make([]byte, 1<<20)
	// scratch is where /items and /bench/params bodies are built; never a returned body
	// (those may be shared globals).
	scratch := make([]byte, 0, 512)
	var out []byte
	for {
		var set syscall.FdSet
		set.Bits[fd/64] |= 1 << (uint(fd) % 64)
		if _, err := syscall.Select(fd+1, &set, nil, nil, nil); err != nil && err != syscall.EINTR {
			log.Fatal(err)
		}
		n := s.Bridge.Poll(in)
		var err error
		if out, _, err = answer.AppendReplies(out[:0], nil, in[:n], scratch); err != nil {
			log.Fatal(err)
		}
		if len(out) > 0 {
			if _, err := s.Bridge.Respond(out); err != nil {
				log.Fatal(err)
			}
		}
	}
}
