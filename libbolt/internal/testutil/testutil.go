// Package testutil holds what the libbolt test suites share: the goroutine-leak check that
// wraps each package's TestMain, and waiting for a descriptor the way the asyncio loop does.
package testutil

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// RunWithLeakCheck runs the tests and turns a pass into a failure when goroutines started
// by them are still running two seconds later (printing every stack to find the leak). Use
// it as TestMain's body: os.Exit(testutil.RunWithLeakCheck(m)). Start process-lifetime
// goroutines (e.g. fasthttp's date refresher) before calling it.
func RunWithLeakCheck(m *testing.M) int {
	baseline := runtime.NumGoroutine()
	code := m.Run()
	if code == 0 && !fuzzing() && !goroutinesSettle(baseline, 2*time.Second) {
		code = 1
	}
	return code
}

// fuzzing reports a fuzz run: the engine keeps an os/signal goroutine for the rest of it.
func fuzzing() bool {
	fuzz, worker := flag.Lookup("test.fuzz"), flag.Lookup("test.fuzzworker")
	return (fuzz != nil && fuzz.Value.String() != "") || (worker != nil && worker.Value.String() == "true")
}

func goroutinesSettle(baseline int, within time.Duration) bool {
	deadline := time.Now().Add(within)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			fmt.Fprintf(os.Stderr, "goroutine leak: %d running, %d before the tests\n%s\n",
				runtime.NumGoroutine(), baseline, buf)
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// WaitReadable blocks in select(2) until fd is readable or wait passes, like the asyncio
// loop's add_reader does.
func WaitReadable(fd int, wait time.Duration) (bool, error) {
	if fd >= syscall.FD_SETSIZE {
		return false, fmt.Errorf("fd %d does not fit an fd_set", fd)
	}
	for {
		var set syscall.FdSet
		set.Bits[fd/64] |= 1 << (uint(fd) % 64)
		tv := syscall.NsecToTimeval(wait.Nanoseconds())
		n, err := syscall.Select(fd+1, &set, nil, nil, &tv)
		if err == syscall.EINTR {
			continue
		}
		return n > 0, err
	}
}
