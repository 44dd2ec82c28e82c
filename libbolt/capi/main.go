// Command capi is the C ABI of libbolt.so, built with -buildmode=c-shared. It is the only
// package that imports "C": it converts pointers and lengths into Go slices for the length
// of one call and never hands a Go pointer to C. Servers are referred to by cgo handles.
//
// Every export recovers panics (a Go panic that crosses cgo kills the Python process) and
// reports failures as -1 (or 0 for bolt_new) with the message in bolt_last_error.
package main

/*
#include <stdint.h>
#include <stdlib.h>
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"runtime/cgo"
	"sync"
	"time"
	"unsafe"

	"github.com/django-bolt-go/django-bolt-go/libbolt/auth"
	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/server"
)

// abiVersion changes whenever an export's signature or a record layout changes; it lives
// beside the layouts (bridge.ABIVersion) so that a layout change stays a one-file change.
const abiVersion = bridge.ABIVersion

var (
	errMu   sync.Mutex
	lastErr string
)

func fail(err error) {
	errMu.Lock()
	lastErr = err.Error()
	errMu.Unlock()
}

func recoverInto(ret *C.int64_t) {
	if p := recover(); p != nil {
		fail(fmt.Errorf("internal error: %v", p))
		*ret = -1
	}
}

func serverOf(h C.int64_t) *server.Server {
	return cgo.Handle(h).Value().(*server.Server)
}

func bytesAt(p *C.uint8_t, n C.int64_t) []byte {
	if n <= 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
}

//export bolt_abi_version
func bolt_abi_version() C.int32_t { return abiVersion }

//export bolt_last_error
func bolt_last_error(buf *C.uint8_t, capacity C.int64_t) C.int64_t {
	errMu.Lock()
	defer errMu.Unlock()
	return C.int64_t(copy(bytesAt(buf, capacity), lastErr))
}

// bolt_new parses the JSON config and builds the server; returns a handle, or 0.
//
//export bolt_new
func bolt_new(cfg *C.uint8_t, n C.int64_t) (ret C.int64_t) {
	defer recoverInto(&ret)
	c, err := server.ParseConfig(bytesAt(cfg, n))
	if err != nil {
		fail(err)
		return 0
	}
	s, err := server.New(c)
	if err != nil {
		fail(err)
		return 0
	}
	return C.int64_t(cgo.NewHandle(s))
}

// bolt_start binds and starts serving; returns the bound port.
//
//export bolt_start
func bolt_start(h C.int64_t) (ret C.int64_t) {
	defer recoverInto(&ret)
	s := serverOf(h)
	if err := s.Start(); err != nil {
		fail(err)
		return -1
	}
	return C.int64_t(s.Port())
}

// bolt_start_inmemory serves without a socket, for the test client (see bolt_roundtrip).
//
//export bolt_start_inmemory
func bolt_start_inmemory(h C.int64_t) (ret C.int64_t) {
	defer recoverInto(&ret)
	serverOf(h).StartInMemory()
	return 0
}

// bolt_roundtrip sends one raw HTTP/1.1 request to an in-memory server and stores the raw
// response in *out (allocated with malloc: release it with bolt_buffer_free). Returns its
// length. It blocks until the handler answers: call it with the GIL released, never from
// the thread that runs the event loop.
//
//export bolt_roundtrip
func bolt_roundtrip(h C.int64_t, req *C.uint8_t, n C.int64_t, out **C.uint8_t) (ret C.int64_t) {
	defer recoverInto(&ret)
	resp, err := serverOf(h).RoundTrip(bytesAt(req, n))
	if err != nil {
		fail(err)
		return -1
	}
	buf := C.malloc(C.size_t(max(len(resp), 1)))
	copy(unsafe.Slice((*byte)(buf), len(resp)), resp)
	*out = (*C.uint8_t)(buf)
	return C.int64_t(len(resp))
}

// bolt_buffer_free releases a buffer that bolt_roundtrip allocated.
//
//export bolt_buffer_free
func bolt_buffer_free(p *C.uint8_t) {
	C.free(unsafe.Pointer(p))
}

//export bolt_wake_fd
func bolt_wake_fd(h C.int64_t) (ret C.int64_t) {
	defer recoverInto(&ret)
	return C.int64_t(serverOf(h).WakeFD())
}

// bolt_poll copies queued request records into buf; see bridge.Bridge.Poll.
//
//export bolt_poll
func bolt_poll(h C.int64_t, buf *C.uint8_t, capacity C.int64_t) (ret C.int64_t) {
	defer recoverInto(&ret)
	return C.int64_t(serverOf(h).Bridge.Poll(bytesAt(buf, capacity)))
}

// bolt_read_body copies the body a request record left out into buf; see
// bridge.Bridge.ReadBody.
//
//export bolt_read_body
func bolt_read_body(h C.int64_t, id C.uint64_t, buf *C.uint8_t, capacity C.int64_t) (ret C.int64_t) {
	defer recoverInto(&ret)
	return C.int64_t(serverOf(h).Bridge.ReadBody(uint64(id), bytesAt(buf, capacity)))
}

// bolt_respond delivers a batch of response records; returns how many were refused.
//
//export bolt_respond
func bolt_respond(h C.int64_t, buf *C.uint8_t, n C.int64_t) (ret C.int64_t) {
	defer recoverInto(&ret)
	refused, err := serverOf(h).Bridge.Respond(bytesAt(buf, n))
	if err != nil {
		fail(err)
		return -1
	}
	return C.int64_t(refused)
}

// bolt_stop stops gracefully within grace_ms. It blocks: call it with the GIL released
// and not from the thread that runs the event loop.
//
//export bolt_stop
func bolt_stop(h C.int64_t, graceMs C.int64_t) (ret C.int64_t) {
	defer recoverInto(&ret)
	if err := serverOf(h).Stop(time.Duration(graceMs) * time.Millisecond); err != nil {
		fail(err)
		return -1
	}
	return 0
}

// bolt_revoke adds a revoked token id to the InMemoryRevocation store it names, in every
// server of this process ("store id\0jti", optionally "\0ttl seconds"); returns how many
// servers use that store, or -1 when a SharedRevocation could not be written to Redis.
//
//export bolt_revoke
func bolt_revoke(msg *C.uint8_t, n C.int64_t) (ret C.int64_t) {
	defer recoverInto(&ret)
	count, err := auth.Revoke(bytesAt(msg, n))
	if err != nil {
		fail(err)
		return -1
	}
	return C.int64_t(count)
}

// bolt_free closes the server's descriptors and releases the handle.
//
//export bolt_free
func bolt_free(h C.int64_t) (ret C.int64_t) {
	defer recoverInto(&ret)
	handle := cgo.Handle(h)
	s := handle.Value().(*server.Server)
	handle.Delete()
	if err := s.Close(); err != nil {
		fail(err)
		return -1
	}
	return 0
}

// minProcs keeps at least four Ps even when the process is pinned to one CPU. Python calls
// into Go (bolt_poll, bolt_respond) need a P; with GOMAXPROCS=1 each call waits for the one
// P that is busy running connection goroutines. Measured on /hello pinned to one CPU:
// GOMAXPROCS=1 39.7k RPS; then median server CPU per request 2: 21.9 us, 4: 20.6 us,
// 8: 19.8 us (bench/RESULTS.md). Idle Ps also keep sysmon from retaking the P that the
// Python thread holds between its calls.
const minProcs = 4

func init() {
	if os.Getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) < minProcs {
		runtime.GOMAXPROCS(minProcs)
	}
}

func main() {}
