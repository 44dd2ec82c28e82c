package bridge

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	baseline := runtime.NumGoroutine()
	code := m.Run()
	// The fuzzing engine keeps an os/signal goroutine for the rest of the process.
	fuzzing := flag.Lookup("test.fuzz").Value.String() != "" || flag.Lookup("test.fuzzworker").Value.String() == "true"
	if code == 0 && !fuzzing && !goroutinesSettle(baseline, 2*time.Second) {
		code = 1
	}
	os.Exit(code)
}

// goroutinesSettle waits for the goroutine count to fall back to baseline and, if it does
// not, prints every stack so the leaked goroutine can be found.
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
