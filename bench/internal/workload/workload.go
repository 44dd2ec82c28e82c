// Package workload holds the request/response work of the issue-3 benchmark routes for
// the Go targets (ceiling and bridgeonly), so both answer with the same bytes as the
// Python handlers: an order body parsed with encoding/json, a 10 KB list encoded once,
// and the params reply.
package workload

import (
	"encoding/json"
	"math"
	"strconv"
)

// LineItem and Order mirror the msgspec Struct / Pydantic model of the Python apps.
type LineItem struct {
	SKU   string  `json:"sku"`
	Qty   int     `json:"qty"`
	Price float64 `json:"price"`
}

type Order struct {
	Name  string     `json:"name"`
	Email string     `json:"email"`
	Price float64    `json:"price"`
	Tags  []string   `json:"tags"`
	Items []LineItem `json:"items"`
}

type orderReply struct {
	OK    bool    `json:"ok"`
	Items int     `json:"items"`
	Total float64 `json:"total"`
}

// OrderReply parses an order and renders {"ok":true,"items":N,"total":T}, T being the
// sum of qty*price rounded to 2 decimals (summed in the same order as Python does).
func OrderReply(body []byte) ([]byte, error) {
	var order Order
	if err := json.Unmarshal(body, &order); err != nil {
		return nil, err
	}
	total := 0.0
	for _, it := range order.Items {
		total += float64(it.Qty) * it.Price
	}
	total = math.Round(total*100) / 100
	return json.Marshal(orderReply{OK: true, Items: len(order.Items), Total: total})
}

type user struct {
	ID     int     `json:"id"`
	Name   string  `json:"name"`
	Email  string  `json:"email"`
	Active bool    `json:"active"`
	Score  float64 `json:"score"`
}

// Big is the /bench/big body: 100 users, encoded once at start-up (the Python apps build
// the list once and encode it per request; here there is nothing left to do per request).
var Big = func() []byte {
	users := make([]user, 100)
	for i := range users {
		n := strconv.Itoa(1000 + i)[1:] // zero-padded to 3 digits
		users[i] = user{
			ID:     i,
			Name:   "User Number " + n,
			Email:  "user.number" + n + "@example.com",
			Active: i%3 != 0,
			Score:  float64(i) + 0.25,
		}
	}
	out, err := json.Marshal(users)
	if err != nil {
		panic(err)
	}
	return out
}()

// AppendParams appends {"id":ID,"limit":LIMIT,"q":Q,"token":TOKEN}. Strings use Go
// quoting, which equals JSON for printable ASCII (all the benchmark sends).
func AppendParams(dst []byte, id, limit int, q, token string) []byte {
	dst = append(dst, `{"id":`...)
	dst = strconv.AppendInt(dst, int64(id), 10)
	dst = append(dst, `,"limit":`...)
	dst = strconv.AppendInt(dst, int64(limit), 10)
	dst = append(dst, `,"q":`...)
	dst = strconv.AppendQuote(dst, q)
	dst = append(dst, `,"token":`...)
	dst = strconv.AppendQuote(dst, token)
	return append(dst, '}')
}
