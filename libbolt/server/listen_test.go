package server

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// startLoopback starts a real server with a GET /hi route on 127.0.0.1:port.
func startLoopback(t *testing.T, port int, reusePort bool) (*Server, error) {
	t.Helper()
	return startConfigured(t, fmt.Sprintf(
		`{"host": "127.0.0.1", "port": %d, "reuse_port": %t, "routes": [{"id": 1, "method": "GET", "path": "/hi"}]}`,
		port, reusePort))
}

// startConfigured starts a real TCP server from a JSON config; it is closed at cleanup
// (callers Stop it themselves).
func startConfigured(t *testing.T, configJSON string) (*Server, error) {
	t.Helper()
	cfg, err := ParseConfig([]byte(configJSON))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	shortIdleWorkers(srv)
	return srv, srv.Start()
}

// get404 asks for an unknown path on a new connection (Go answers it without Python).
func get404(port int) error {
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprint(conn, "GET /missing HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"); err != nil {
		return err
	}
	var resp fasthttp.Response
	if err := resp.Read(bufio.NewReader(conn)); err != nil {
		return err
	}
	if resp.StatusCode() != 404 {
		return fmt.Errorf("status %d", resp.StatusCode())
	}
	return nil
}

func TestReusePortLetsWorkersShareAnAddressAndNobodyElse(t *testing.T) {
	t.Parallel()
	a, err := startLoopback(t, 0, true)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer a.Stop(time.Second)
	b, err := startLoopback(t, a.Port(), true)
	if err != nil {
		t.Fatalf("second worker on the same port: %v", err)
	}
	defer b.Stop(time.Second)
	if _, err := startLoopback(t, a.Port(), false); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("a server without reuse_port on a shared port: %v, want address already in use", err)
	}
}

// TestStoppingOneWorkerLosesNoConnection pins quiesce: connections queued on a listener
// when it closes would be reset, so a worker that stops while its sibling keeps serving
// must not fail a single client.
func TestStoppingOneWorkerLosesNoConnection(t *testing.T) {
	t.Parallel()
	a, err := startLoopback(t, 0, true)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	port := a.Port()
	b, err := startLoopback(t, port, true)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer b.Stop(time.Second)

	var wg sync.WaitGroup
	var done atomic.Bool
	var served, failed atomic.Int64
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !done.Load() {
				if err := get404(port); err != nil {
					failed.Add(1)
					select {
					case errs <- err:
					default:
					}
					continue
				}
				served.Add(1)
			}
		}()
	}
	time.Sleep(150 * time.Millisecond)
	if err := a.Stop(time.Second); err != nil {
		t.Errorf("Stop: %v", err)
	}
	time.Sleep(150 * time.Millisecond)
	done.Store(true)
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d of %d requests failed while one worker stopped, e.g. %v", failed.Load(), failed.Load()+served.Load(), <-errs)
	}
	if served.Load() < 20 {
		t.Fatalf("only %d requests served", served.Load())
	}
}

func TestAcceptQueueLenCountsConnectionsNotYetAccepted(t *testing.T) {
	t.Parallel()
	ln, err := listen("127.0.0.1", 0, 16, false)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer ln.Close()
	for range 3 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		defer c.Close()
	}
	raw, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		t.Fatalf("SyscallConn: %v", err)
	}
	queued := -1
	_ = raw.Control(func(fd uintptr) { queued = acceptQueueLen(fd) })
	if queued != 3 {
		t.Fatalf("acceptQueueLen = %d, want 3", queued)
	}
}

// TestStopRightAfterStartReturns pins the listener close in Stop: a Stop that ran before
// fasthttp's Serve registered the listener used to leave Serve accepting forever (a worker
// told to stop just after it listened never exited).
func TestStopRightAfterStartReturns(t *testing.T) {
	t.Parallel()
	for range 20 {
		srv, err := startLoopback(t, 0, true)
		if err != nil {
			t.Fatalf("Start: %v", err)
		}
		stopped := make(chan error, 1)
		go func() { stopped <- srv.Stop(time.Second) }()
		select {
		case <-stopped:
		case <-time.After(5 * time.Second):
			t.Fatal("Stop right after Start did not return")
		}
	}
}
