package server

import (
	"os"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/testutil"
)

func TestMain(m *testing.M) {
	// fasthttp refreshes its cached Date header from a goroutine that lives for the rest
	// of the process; start it before the baseline so it is not counted as a leak.
	var h fasthttp.ResponseHeader
	h.AppendBytes(nil)
	os.Exit(testutil.RunWithLeakCheck(m))
}
