// Command sseload holds many Server-Sent Events streams open against one URL and measures
// the tick overhead of each event: its arrival time minus the server clock the event
// carries as its data (time.time_ns() when the handler yielded it; same machine, same
// clock). It also reports the server's RSS and CPU per event when given its pid.
//
//	sseload -url http://127.0.0.1:8000/bench/sse -streams 10000 -duration 30s -pid 1234
//
// Streams are opened at -rate per second; events are counted only after every stream is
// open and -settle has passed, so the ramp does not skew the percentiles. One goroutine
// per stream over raw TCP (no net/http client): the client must not be the bottleneck.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type result struct {
	Streams      int     `json:"streams"`
	Open         int64   `json:"open_at_end"`
	Failed       int64   `json:"failed"`
	Events       int     `json:"events"`
	Seconds      float64 `json:"seconds"`
	P50Ms        float64 `json:"p50_ms"`
	P90Ms        float64 `json:"p90_ms"`
	P99Ms        float64 `json:"p99_ms"`
	P999Ms       float64 `json:"p999_ms"`
	MaxMs        float64 `json:"max_ms"`
	RSSMB        float64 `json:"server_rss_mb,omitempty"`
	RSSPerStream float64 `json:"server_rss_kb_per_stream,omitempty"`
	CPUUsPerEvt  float64 `json:"server_cpu_us_per_event,omitempty"`
}

func main() {
	target := flag.String("url", "http://127.0.0.1:8000/bench/sse", "event-stream URL")
	streams := flag.Int("streams", 1000, "concurrent streams")
	rate := flag.Int("rate", 2000, "streams opened per second")
	settle := flag.Duration("settle", 3*time.Second, "wait after the last stream opened before measuring")
	duration := flag.Duration("duration", 20*time.Second, "measured time")
	pid := flag.Int("pid", 0, "server pid (all its threads): RSS and CPU per event")
	flag.Parse()

	u, err := url.Parse(*target)
	if err != nil {
		log.Fatal(err)
	}
	path := u.RequestURI()
	request := []byte("GET " + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nAccept: text/event-stream\r\n\r\n")

	var measuring atomic.Bool
	var open, failed atomic.Int64
	lat := make([][]int64, *streams) // per stream, nanoseconds; merged at the end
	var wg sync.WaitGroup
	stop := make(chan struct{})
	tick := time.NewTicker(time.Second / time.Duration(max(*rate, 1)))
	for i := range *streams {
		<-tick.C
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := stream(u.Host, request, &measuring, &lat[i], &open, stop); err != nil {
				if failed.Add(1) <= 5 {
					log.Printf("stream %d: %v", i, err)
				}
			}
		}(i)
	}
	tick.Stop()
	time.Sleep(*settle)
	cpu0 := cpuTicks(*pid)
	t0 := time.Now()
	measuring.Store(true)
	time.Sleep(*duration)
	measuring.Store(false)
	elapsed := time.Since(t0)
	cpu1 := cpuTicks(*pid)
	rss := rssKB(*pid)
	res := result{Streams: *streams, Open: open.Load(), Failed: failed.Load(), Seconds: elapsed.Seconds()}
	close(stop)
	wg.Wait() // every stream goroutine is done with its lat slice
	var all []int64
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	res.Events = len(all)
	if n := len(all); n > 0 {
		q := func(p float64) float64 { return float64(all[min(n-1, int(p*float64(n)))]) / 1e6 }
		res.P50Ms, res.P90Ms, res.P99Ms, res.P999Ms, res.MaxMs = q(0.5), q(0.9), q(0.99), q(0.999), float64(all[n-1])/1e6
	}
	if *pid > 0 {
		res.RSSMB = float64(rss) / 1024
		res.RSSPerStream = float64(rss) / float64(*streams)
		if res.Events > 0 {
			res.CPUUsPerEvt = float64(cpu1-cpu0) * 1e6 / 100 / float64(res.Events) // 100 ticks/s
		}
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}

// stream opens one event stream and records the latency of every event while measuring.
func stream(host string, request []byte, measuring *atomic.Bool, lat *[]int64, open *atomic.Int64, stop chan struct{}) error {
	conn, err := net.Dial("tcp", host)
	if err != nil {
		return err
	}
	go func() { <-stop; _ = conn.Close() }()
	if _, err := conn.Write(request); err != nil {
		return err
	}
	r := bufio.NewReaderSize(conn, 4096)
	status, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.Contains(status, " 200 ") {
		return fmt.Errorf("status line %q", strings.TrimSpace(status))
	}
	open.Add(1)
	defer open.Add(-1)
	// Chunked framing is skipped, not parsed: only lines starting with "data: " are read,
	// and an SSE data line never starts a chunk-size line.
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			select {
			case <-stop:
				return nil
			default:
				return err
			}
		}
		now := time.Now().UnixNano()
		if !bytes.HasPrefix(line, []byte("data: ")) || !measuring.Load() {
			continue
		}
		sent, err := strconv.ParseInt(string(bytes.TrimSpace(line[6:])), 10, 64)
		if err != nil {
			return fmt.Errorf("data line %q: %v", line, err)
		}
		*lat = append(*lat, now-sent)
	}
}

// cpuTicks is utime+stime of the process (all threads), in clock ticks; 0 without a pid.
func cpuTicks(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:]))
	u, _ := strconv.ParseInt(fields[11], 10, 64)
	s, _ := strconv.ParseInt(fields[12], 10, 64)
	return u + s
}

// rssKB is the process's resident set (VmRSS) in KiB; 0 without a pid.
func rssKB(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb
		}
	}
	return 0
}
