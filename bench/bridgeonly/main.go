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
	"strings"
	"syscall"
	"time"

	"github.com/django-bolt-go/django-bolt-go/bench/internal/workload"
	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
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
	cfg.Routes = []router.Route{
		{ID: 0, Method: "GET", Path: "/hello"},
		{ID: 1, Method: "GET", Path: "/items/{item_id}"},
		{ID: 2, Method: "POST", Path: "/bench/struct"},
		{ID: 3, Method: "POST", Path: "/bench/pydantic"},
		{ID: 4, Method: "GET", Path: "/bench/big"},
		{ID: 5, Method: "GET", Path: "/bench/params/{id}", Flags: bridge.FlagHeaders},
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
	hello := []byte(`{"message":"Hello, World!"}`)
	var out, body []byte
	for {
		var set syscall.FdSet
		set.Bits[fd/64] |= 1 << (uint(fd) % 64)
		if _, err := syscall.Select(fd+1, &set, nil, nil, nil); err != nil && err != syscall.EINTR {
			log.Fatal(err)
		}
		n := s.Bridge.Poll(in)
		out = out[:0]
		for off := 0; off < n; {
			r, size, err := bridge.DecodeRequest(in[off:n])
			if err != nil {
				log.Fatal(err)
			}
			off += size
			if r.Kind != bridge.KindRequest {
				continue
			}
			status := uint16(200)
			switch r.Route {
			case 0:
				body = hello
			case 1:
				body = itemBody(body[:0:0], &r)
			case 2, 3:
				if body, err = workload.OrderReply(r.Body); err != nil {
					status, body = 422, []byte(`{"detail":"invalid order"}`)
				}
			case 4:
				body = workload.Big
			case 5:
				body = paramsBody(&r)
			}
			out = bridge.AppendResponse(out, &bridge.Response{ID: r.ID, Kind: bridge.KindResponse, ContentType: 1, Status: status, Body: body})
		}
		if len(out) > 0 {
			if _, err := s.Bridge.Respond(out); err != nil {
				log.Fatal(err)
			}
		}
	}
}

// itemBody answers /items/{item_id}?q= like the Python handler (no validation: it measures
// the bridge, not the handler).
func itemBody(dst []byte, r *bridge.Request) []byte {
	q := "null"
	pairs := strings.Split(string(r.Query), "\x00")
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] == "q" {
			q = strconv.Quote(pairs[i+1])
		}
	}
	dst = append(dst, `{"item_id":`...)
	dst = append(dst, r.Params...)
	dst = append(dst, `,"q":`...)
	dst = append(dst, q...)
	return append(dst, '}')
}

// paramsBody answers /bench/params/{id}?limit=&q= with the x-token header, like the
// Python handler (no validation beyond what it takes to build the reply).
func paramsBody(r *bridge.Request) []byte {
	id, _ := strconv.Atoi(string(r.Params))
	limit, q, token := 10, "", ""
	query := strings.Split(string(r.Query), "\x00")
	for i := 0; i+1 < len(query); i += 2 {
		switch query[i] {
		case "limit":
			limit, _ = strconv.Atoi(query[i+1])
		case "q":
			q = query[i+1]
		}
	}
	headers := strings.Split(string(r.Headers), "\x00")
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "x-token" {
			token = headers[i+1]
		}
	}
	return workload.AppendParams(make([]byte, 0, 64), id, limit, q, token)
}
