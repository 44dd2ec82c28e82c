package extra

import (
	"encoding/json"
	"testing"

	"github.com/valyala/fasthttp"
)

func TestAppendToWithoutAddIsEmpty(t *testing.T) {
	var ctx fasthttp.RequestCtx
	if got := AppendTo([]byte("x"), &ctx); string(got) != "x" {
		t.Fatalf("got %q", got)
	}
}

func TestAddBuildsOneObject(t *testing.T) {
	var ctx fasthttp.RequestCtx
	Add(&ctx, "context", []byte(`{"sub":"42"}`))
	Add(&ctx, "form", []byte(`[["a","1"]]`))
	var got map[string]any
	if err := json.Unmarshal(AppendTo(nil, &ctx), &got); err != nil {
		t.Fatal(err)
	}
	if got["context"].(map[string]any)["sub"] != "42" || len(got["form"].([]any)) != 1 {
		t.Fatalf("got %v", got)
	}
}

func TestBufferReturnsToPoolOnReset(t *testing.T) {
	var ctx fasthttp.RequestCtx
	Add(&ctx, "k", []byte(`1`))
	ctx.ResetUserValues() // closes io.Closer values, as fasthttp does after each request
	if ctx.UserValue(userKey) != nil {
		t.Fatal("user value survived reset")
	}
	Add(&ctx, "k", []byte(`2`))
	if got := string(AppendTo(nil, &ctx)); got != `{"k":2}` {
		t.Fatalf("reused buffer kept old content: %s", got)
	}
}
