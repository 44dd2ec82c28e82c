//go:build linux

// Command looponly measures an event-loop front end in front of libbolt's bridge (issue 20,
// "Design freedom"): a few goroutines, one per CPU the process may use, each owning an
// epoll set of non-blocking connections, read what is ready, parse whole requests with
// fasthttp's header parser, and hand each to the bridge as a request record, without a
// goroutine parked per request. A Go goroutine answers in Python's place exactly as in
// bench/bridgeonly (same records, same bodies) and, once its batch of replies is
// delivered, writes them to their connections itself: the thread that takes the batch of
// responses (Python's, in the real server) does the writes, one write(2) per connection
// per batch. Against `bridge` (the same bridge behind fasthttp's goroutine per connection)
// it prices the park and wake of every request; see bench/RESULTS.md.
//
// The HTTP subset is what a benchmark needs: HTTP/1.1 keep-alive and pipelining,
// Content-Length bodies, Connection: close. Chunked request bodies are refused (501), a
// header block must end with CRLF CRLF, and there are no timeouts, TLS or upgrades.
package main

import (
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	loops := flag.Int("loops", 0, "event-loop goroutines (0: one per CPU the process may use)")
	writer := flag.String("writer", "answerer", "who writes the replies: answerer (the goroutine that took the batch) or loop")
	lock := flag.Bool("lock", false, "lock each loop and the answerer to an OS thread (runtime.LockOSThread)")
	flag.Parse()
	lockThreads = *lock
	if *writer != "answerer" && *writer != "loop" {
		log.Fatalf("-writer must be answerer or loop, not %q", *writer)
	}
	s, err := start(*addr, *loops, *writer == "loop")
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("looponly listening on %s with %d event loops, replies written by the %s", s.Addr(), len(s.loops), *writer)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	s.Close()
}
