// Command wsload is the WebSocket load generator of bench/ws_bench.py. Three modes:
//
//   - echo: -conns connections each send a message and wait for its echo, in a loop, for
//     -duration; prints messages per second and round-trip percentiles.
//   - idle: opens -conns connections (from several 127.0.0.0/8 source addresses, so that
//     one client process is not limited by one address's ports), each echoing one message
//     every -every, holds them for -duration; prints how many opened and stayed alive.
//   - broadcast: -conns members connect to -url (a route that joins one group and
//     broadcasts what it receives); one of them sends -rounds messages, one at a time, and
//     for each the time until the last member has it is recorded.
//
// Output is one JSON object on stdout.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	fws "github.com/fasthttp/websocket"
)

func main() {
	url := flag.String("url", "ws://127.0.0.1:8000/ws/echo", "WebSocket URL")
	mode := flag.String("mode", "echo", "echo | idle | broadcast")
	conns := flag.Int("conns", 1000, "connections")
	duration := flag.Duration("duration", 10*time.Second, "how long to run (echo, idle)")
	size := flag.Int("size", 32, "message size in bytes")
	every := flag.Duration("every", time.Minute, "idle: one echo per connection this often")
	sources := flag.Int("sources", 8, "idle/broadcast: source addresses 127.0.0.2 ... to spread over")
	rounds := flag.Int("rounds", 20, "broadcast: messages sent")
	reader := flag.String("reader", "goroutines", "broadcast: members read by one goroutine each, or by one epoll loop (epoll)")
	flag.Parse()

	var out any
	switch *mode {
	case "echo":
		out = echo(*url, *conns, *duration, *size)
	case "idle":
		out = idle(*url, *conns, *duration, *every, *sources)
	case "broadcast":
		out = broadcast(*url, *conns, *rounds, *sources, *reader == "epoll")
	default:
		fmt.Fprintln(os.Stderr, "unknown -mode", *mode)
		os.Exit(2)
	}
	_ = json.NewEncoder(os.Stdout).Encode(out)
}

func dialer(source int) *fws.Dialer {
	d := &fws.Dialer{HandshakeTimeout: 30 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}
	if source > 0 {
		local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+source%250))}
		nd := &net.Dialer{LocalAddr: local, Timeout: 30 * time.Second}
		d.NetDial = func(network, addr string) (net.Conn, error) { return nd.Dial(network, addr) }
	}
	return d
}

func openAll(url string, n, sources int) ([]*fws.Conn, int) {
	cs := make([]*fws.Conn, n)
	var failed atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 200) // dial in parallel, but not all at once
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			src := 0
			if sources > 0 {
				src = 1 + i%sources
			}
			c, _, err := dialer(src).Dial(url, nil)
			if err != nil {
				failed.Add(1)
				return
			}
			cs[i] = c
		}()
	}
	wg.Wait()
	open := cs[:0]
	for _, c := range cs {
		if c != nil {
			open = append(open, c)
		}
	}
	return open, int(failed.Load())
}

type echoResult struct {
	Mode      string  `json:"mode"`
	Conns     int     `json:"conns"`
	Failed    int     `json:"failed_to_open"`
	Messages  int64   `json:"messages"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"msgs_per_s"`
	P50ms     float64 `json:"p50_ms"`
	P99ms     float64 `json:"p99_ms"`
	Errors    int64   `json:"errors"`
}

func echo(url string, n int, d time.Duration, size int) echoResult {
	cs, failed := openAll(url, n, 0)
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = 'a' + byte(i%26)
	}
	var count, errs atomic.Int64
	samples := make([][]time.Duration, len(cs))
	start := time.Now()
	stop := start.Add(d)
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				t0 := time.Now()
				if err := c.WriteMessage(fws.TextMessage, payload); err != nil {
					errs.Add(1)
					return
				}
				if _, _, err := c.ReadMessage(); err != nil {
					errs.Add(1)
					return
				}
				samples[i] = append(samples[i], time.Since(t0))
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	for _, c := range cs {
		_ = c.Close()
	}
	var all []time.Duration
	for _, s := range samples {
		all = append(all, s...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return echoResult{Mode: "echo", Conns: len(cs), Failed: failed, Messages: count.Load(), Seconds: elapsed,
		PerSecond: float64(count.Load()) / elapsed, P50ms: pct(all, 0.50), P99ms: pct(all, 0.99), Errors: errs.Load()}
}

func pct(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[int(float64(len(sorted)-1)*p)]) / 1e6
}

type idleResult struct {
	Mode   string `json:"mode"`
	Wanted int    `json:"wanted"`
	Opened int    `json:"opened"`
	Failed int    `json:"failed_to_open"`
	Alive  int64  `json:"alive_at_end"`
	Echoes int64  `json:"echoes"`
}

func idle(url string, n int, d, every time.Duration, sources int) idleResult {
	cs, failed := openAll(url, n, sources)
	fmt.Fprintf(os.Stderr, "opened %d of %d\n", len(cs), n)
	var alive, echoes atomic.Int64
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Spread the first echo over the period so the load is steady.
			next := time.Now().Add(time.Duration(int64(every) * int64(i) / int64(len(cs))))
			for {
				if next.After(stop) {
					time.Sleep(time.Until(stop))
					break
				}
				time.Sleep(time.Until(next))
				_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
				if c.WriteMessage(fws.TextMessage, []byte("ping "+strconv.Itoa(i))) != nil {
					return
				}
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
				echoes.Add(1)
				next = next.Add(every)
			}
			alive.Add(1)
		}()
	}
	wg.Wait()
	for _, c := range cs {
		_ = c.Close()
	}
	return idleResult{Mode: "idle", Wanted: n, Opened: len(cs), Failed: failed, Alive: alive.Load(), Echoes: echoes.Load()}
}

type broadcastResult struct {
	Mode    string    `json:"mode"`
	Reader  string    `json:"reader"`
	Members int       `json:"members"`
	Failed  int       `json:"failed_to_open"`
	Rounds  []float64 `json:"last_member_ms"`
	P50ms   float64   `json:"p50_ms"`
	Maxms   float64   `json:"max_ms"`
}

func broadcast(url string, n, rounds, sources int, lean bool) broadcastResult {
	cs, failed := openAll(url, n, sources)
	// Each member counts the broadcasts it received; the round ends when all have it.
	got := make([]atomic.Int64, rounds+1)
	var wg sync.WaitGroup
	var ep *epollReader
	if lean {
		var err error
		if ep, err = newEpollReader(cs); err != nil {
			fmt.Fprintln(os.Stderr, "epoll:", err)
			os.Exit(1)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ep.run(got, rounds)
		}()
	}
	for _, c := range cs {
		if lean {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, data, err := c.ReadMessage()
				if err != nil {
					return
				}
				if r, err := strconv.Atoi(string(data)); err == nil && r <= rounds {
					got[r].Add(1)
				}
			}
		}()
	}
	time.Sleep(time.Second) // joins settle
	var times []float64
	for r := 1; r <= rounds; r++ {
		t0 := time.Now()
		if err := cs[0].WriteMessage(fws.TextMessage, []byte(strconv.Itoa(r))); err != nil {
			break
		}
		for got[r].Load() < int64(len(cs)) && time.Since(t0) < 10*time.Second {
			time.Sleep(100 * time.Microsecond)
		}
		times = append(times, float64(time.Since(t0))/1e6)
		time.Sleep(100 * time.Millisecond)
	}
	if ep != nil {
		ep.stop.Store(true)
	}
	for _, c := range cs {
		_ = c.Close()
	}
	wg.Wait()
	sorted := append([]float64(nil), times...)
	sort.Float64s(sorted)
	res := broadcastResult{Mode: "broadcast", Reader: map[bool]string{false: "goroutines", true: "epoll"}[lean],
		Members: len(cs), Failed: failed, Rounds: times}
	if len(sorted) > 0 {
		res.P50ms = sorted[len(sorted)/2]
		res.Maxms = sorted[len(sorted)-1]
	}
	return res
}
