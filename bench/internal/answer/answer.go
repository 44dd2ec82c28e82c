// Package answer is the Go stand-in for the Python handlers of the benchmark routes, shared
// by the targets that keep libbolt's bridge but answer from Go (bench/bridgeonly,
// bench/looponly): a request record in, the status and JSON body the Python handler would
// give out. It measures the hand-off, not the handlers, so it validates only what it must
// to build the reply.
package answer

import (
	"strconv"
	"strings"

	"github.com/django-bolt-go/django-bolt-go/bench/internal/workload"
	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
)

// Route ids of the benchmark routes, in the order of Routes.
const (
	RouteHello uint16 = iota
	RouteItems
	RouteStruct
	RoutePydantic
	RouteBig
	RouteParams
)

// Routes are the routes both Go-answered targets register (ids as above).
var Routes = []struct {
	ID     uint16
	Method string
	Path   string
	Flags  uint16
}{
	{RouteHello, "GET", "/hello", 0},
	{RouteItems, "GET", "/items/{item_id}", 0},
	{RouteStruct, "POST", "/bench/struct", 0},
	{RoutePydantic, "POST", "/bench/pydantic", 0},
	{RouteBig, "GET", "/bench/big", 0},
	{RouteParams, "GET", "/bench/params/{id}", bridge.FlagHeaders},
}

var hello = []byte(`{"message":"Hello, World!"}`)

// Reply returns the status and body for request record r (content type JSON). scratch is
// space the body may be built in; the body is valid until the next call with the same
// scratch, and must not be passed back as scratch (it may be a shared global).
func Reply(r *bridge.Request, scratch []byte) (uint16, []byte) {
	dst := scratch[:0]
	switch r.Route {
	case RouteHello:
		return 200, hello
	case RouteItems:
		return 200, itemBody(dst, r)
	case RouteStruct, RoutePydantic:
		body, err := workload.OrderReply(r.Body)
		if err != nil {
			return 422, []byte(`{"detail":"invalid order"}`)
		}
		return 200, body
	case RouteBig:
		return 200, workload.Big
	case RouteParams:
		return 200, paramsBody(dst, r)
	}
	return 404, []byte(`{"detail":"Not Found"}`)
}

// itemBody answers /items/{item_id}?q= like the Python handler (no validation: it measures
// the bridge, not the handler).
func itemBody(dst []byte, r *bridge.Request) []byte {
	q := "null"
	pairs := strings.Split(string(r.Query), "\x00")
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] == "q" {
			q = strconv.Quote(pairs[i+1])
		}
	}
	dst = append(dst, `{"item_id":`...)
	dst = append(dst, r.Params...)
	dst = append(dst, `,"q":`...)
	dst = append(dst, q...)
	return append(dst, '}')
}

// paramsBody answers /bench/params/{id}?limit=&q= with the x-token header, like the
// Python handler (no validation beyond what it takes to build the reply).
func paramsBody(dst []byte, r *bridge.Request) []byte {
	id, _ := strconv.Atoi(string(r.Params))
	limit, q, token := 10, "", ""
	query := strings.Split(string(r.Query), "\x00")
	for i := 0; i+1 < len(query); i += 2 {
		switch query[i] {
		case "limit":
			limit, _ = strconv.Atoi(query[i+1])
		case "q":
			q = query[i+1]
		}
	}
	headers := strings.Split(string(r.Headers), "\x00")
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "x-token" {
			token = headers[i+1]
		}
	}
	return workload.AppendParams(dst, id, limit, q, token)
}

// AppendReplies answers every request record of a polled batch: their response records are
// appended to out and their ids to ids. Other record kinds (cancels, credits) are skipped.
// It fails on a record it cannot decode.
func AppendReplies(out []byte, ids []uint64, batch, scratch []byte) ([]byte, []uint64, error) {
	for off := 0; off < len(batch); {
		r, size, err := bridge.DecodeRequest(batch[off:])
		if err != nil {
			return out, ids, err
		}
		off += size
		if r.Kind != bridge.KindRequest {
			continue
		}
		status, body := Reply(&r, scratch) // copied into out at once: scratch is free again
		out = bridge.AppendResponse(out, &bridge.Response{ID: r.ID, Kind: bridge.KindResponse, ContentType: bridge.ContentTypeJSON, Status: status, Body: body})
		ids = append(ids, r.ID)
	}
	return out, ids, nil
}
