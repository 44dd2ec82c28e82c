package state

import (
	"os"
	"testing"

	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/testutil"
)

func TestMain(m *testing.M) { os.Exit(testutil.RunWithLeakCheck(m)) }
