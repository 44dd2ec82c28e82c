// Command ceiling is a minimal fasthttp server that answers the benchmark routes with the
// same bytes as the Python frameworks. It marks the throughput ceiling: no Python, no
// routing library, just fasthttp writing a body. /hello, /items and /bench/params use no
// JSON encoder; /bench/struct and /bench/pydantic parse the order with encoding/json into
// Go structs; /bench/big writes bytes encoded once at start-up.
package main

import (
	"flag"
	"log"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/bench/internal/workload"
)

var helloBody = []byte(`{"message":"Hello, World!"}`)

const (
	itemsPrefix  = "/items/"
	paramsPrefix = "/bench/params/"
)

func handle(ctx *fasthttp.RequestCtx) {
	path := string(ctx.Path())
	if ctx.IsPost() && (path == "/bench/struct" || path == "/bench/pydantic") {
		reply, err := workload.OrderReply(ctx.PostBody())
		ctx.SetContentType("application/json")
		if err != nil {
			ctx.SetStatusCode(fasthttp.StatusUnprocessableEntity)
			ctx.SetBodyString(`{"detail":"invalid order"}`)
			return
		}
		ctx.SetBody(reply)
		return
	}
	if !ctx.IsGet() {
		ctx.Error(`{"detail":"Method Not Allowed"}`, fasthttp.StatusMethodNotAllowed)
		return
	}
	switch {
	case path == "/bench/big":
		ctx.SetContentType("application/json")
		ctx.SetBody(workload.Big)
	case strings.HasPrefix(path, paramsPrefix):
		handleParams(ctx, path[len(paramsPrefix):])
	case path == "/hello":
		ctx.SetContentType("application/json")
		ctx.SetBody(helloBody)
	case strings.HasPrefix(path, itemsPrefix):
		id, err := strconv.Atoi(path[len(itemsPrefix):])
		if err != nil {
			ctx.SetContentType("application/json")
			ctx.SetStatusCode(fasthttp.StatusUnprocessableEntity)
			ctx.SetBodyString(`{"detail":"item_id must be an integer"}`)
			return
		}
		ctx.SetContentType("application/json")
		ctx.SetBody(itemBody(id, ctx.QueryArgs()))
	default:
		ctx.SetContentType("application/json")
		ctx.SetStatusCode(fasthttp.StatusNotFound)
		ctx.SetBodyString(`{"detail":"Not Found"}`)
	}
}

// handleParams answers /bench/params/{id}?limit=&q= with the X-Token header.
func handleParams(ctx *fasthttp.RequestCtx, rawID string) {
	ctx.SetContentType("application/json")
	args := ctx.QueryArgs()
	id, err := strconv.Atoi(rawID)
	limit := 10
	if err == nil && args.Has("limit") {
		limit, err = strconv.Atoi(string(args.Peek("limit")))
	}
	q, token := args.Peek("q"), ctx.Request.Header.Peek("X-Token")
	if err != nil || q == nil || token == nil {
		ctx.SetStatusCode(fasthttp.StatusUnprocessableEntity)
		ctx.SetBodyString(`{"detail":"bad parameters"}`)
		return
	}
	ctx.SetBody(workload.AppendParams(make([]byte, 0, 64), id, limit, string(q), string(token)))
}

// itemBody renders {"item_id":<id>,"q":<string or null>} without a JSON encoder.
func itemBody(id int, args *fasthttp.Args) []byte {
	buf := make([]byte, 0, 64)
	buf = append(buf, `{"item_id":`...)
	buf = strconv.AppendInt(buf, int64(id), 10)
	buf = append(buf, `,"q":`...)
	if q := args.Peek("q"); q != nil {
		buf = appendJSONString(buf, q)
	} else {
		buf = append(buf, "null"...)
	}
	return append(buf, '}')
}

// appendJSONString appends s as a JSON string literal; UTF-8 passes through unescaped.
func appendJSONString(buf, s []byte) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			buf = append(buf, '\\', c)
		case c < 0x20:
			buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			buf = append(buf, c)
		}
	}
	return append(buf, '"')
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	server := &fasthttp.Server{Handler: handle, Name: "ceiling"}
	log.Printf("ceiling listening on http://%s", *addr)
	if err := server.ListenAndServe(*addr); err != nil {
		log.Fatal(err)
	}
}
