//go:build linux

package main

import (
	"fmt"
	"net"
	"runtime"
	"strconv"
	"sync"
	"syscall"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/bench/internal/answer"
	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// maxSlots is the bridge's request cap (the real server's MAX_CONNECTIONS default).
const maxSlots = 10000

// soReusePort lets every loop bind its own listening socket to the one address, so the
// kernel spreads new connections over the loops and no loop touches another's epoll set.
const soReusePort = 0xf

// pendingReq is what the answerer needs to route a reply back: indexed by slot index,
// written by a loop before Submit and read by the answerer after Poll (the bridge's mutex
// orders the two), cleared before the slot is released.
type pendingReq struct {
	slot  *bridge.Slot
	c     *conn
	seq   uint64
	close bool // the request asked for Connection: close
	head  bool // HEAD: the reply has no body
}

type server struct {
	bridge  *bridge.Bridge
	wake    *bridge.EventFD
	table   *router.Table
	methods []uint8 // route id -> method code of its record
	pending []pendingReq
	loops   []*loop
	stopFD  *bridge.EventFD // readable once Close was called
	port    int
	host    string
	// loopWrites: replies are written by the connections' loops, not by the answerer.
	loopWrites bool
	done       sync.WaitGroup
}

// lockThreads locks the loops and the answerer to their OS threads (-lock; measured in
// bench/RESULTS.md, not kept as the default).
var lockThreads bool

// start listens on addr with n event loops (0: one per CPU the process may use) and the
// Go answerer; loopWrites moves the writing of replies from the answerer to the loops.
func start(addr string, n int, loopWrites bool) (*server, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	ip := net.ParseIP(host).To4()
	if ip == nil {
		return nil, fmt.Errorf("looponly: %q is not an IPv4 address", host)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, err
	}
	if n <= 0 {
		n = runtime.NumCPU() // the CPUs of the process's affinity mask (taskset)
	}
	wake, err := bridge.NewEventFD()
	if err != nil {
		return nil, err
	}
	stopFD, err := bridge.NewEventFD()
	if err != nil {
		return nil, err
	}
	s := &server{
		bridge:  bridge.New(wake, maxSlots),
		wake:    wake,
		pending: make([]pendingReq, maxSlots),
		stopFD:  stopFD,
		host:    host,

		loopWrites: loopWrites,
	}
	var routes []router.Route
	for _, rt := range answer.Routes {
		routes = append(routes, router.Route{ID: rt.ID, Method: rt.Method, Path: rt.Path, Flags: rt.Flags})
		for int(rt.ID) >= len(s.methods) {
			s.methods = append(s.methods, 0)
		}
		s.methods[rt.ID] = bridge.MethodCodes[rt.Method]
	}
	// Only Match is used (routing without running a handler); the handlers are never called.
	never := func(*fasthttp.RequestCtx) {}
	s.table, _, err = router.BuildTable(routes, router.Handlers{
		Route:            func(*router.Compiled) fasthttp.RequestHandler { return never },
		NotFound:         never,
		MethodNotAllowed: never,
		Panic:            func(*fasthttp.RequestCtx, any) {},
	})
	if err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		lfd, err := listenReusePort(ip, port)
		if err != nil {
			s.Close()
			return nil, err
		}
		if port == 0 { // the next loops bind the port the first one got
			sa, err := syscall.Getsockname(lfd)
			if err != nil {
				return nil, err
			}
			port = sa.(*syscall.SockaddrInet4).Port
		}
		l, err := newLoop(s, lfd)
		if err != nil {
			return nil, err
		}
		s.loops = append(s.loops, l)
	}
	s.port = port
	s.done.Add(len(s.loops) + 1)
	for _, l := range s.loops {
		go l.run()
	}
	go s.answer()
	return s, nil
}

// Addr is the address the loops listen on.
func (s *server) Addr() string { return net.JoinHostPort(s.host, strconv.Itoa(s.port)) }

// Close stops the loops and the answerer and waits for them; open connections are closed.
func (s *server) Close() {
	s.stopFD.Wake()
	s.done.Wait()
}

func listenReusePort(ip net.IP, port int) (int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	for _, opt := range []int{syscall.SO_REUSEADDR, soReusePort} {
		if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, opt, 1); err != nil {
			_ = syscall.Close(fd)
			return -1, err
		}
	}
	sa := &syscall.SockaddrInet4{Port: port}
	copy(sa.Addr[:], ip)
	if err := syscall.Bind(fd, sa); err != nil {
		_ = syscall.Close(fd)
		return -1, err
	}
	if err := syscall.Listen(fd, 4096); err != nil {
		_ = syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}
