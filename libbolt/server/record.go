package server

import (
	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/extra"
	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/header"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// Hot path: a request record is gathered from fasthttp's parsed request straight into the
// slot's buffer. The layout itself (field offsets, section order, flags) is bridge's
// (libbolt/bridge/record.go); this file only fills the sections.

// inputError is a client error found while copying the request for Python.
type inputError string

// appendRecord encodes the request record straight into the slot's reusable buffer; an
// apart body is only counted (bridge.RecordBodyApart).
func appendRecord(dst []byte, id uint64, method uint8, rt *router.Compiled, ctx *fasthttp.RequestCtx, body []byte, apart bool) ([]byte, inputError) {
	start := len(dst)
	dst = append(dst, make([]byte, bridge.RequestHeaderSize)...)
	var lens [bridge.NumSections]uint32

	mark := len(dst)
	dst = append(dst, ctx.Path()...)
	lens[bridge.SectionPath] = uint32(len(dst) - mark)

	mark = len(dst)
	for i, name := range rt.Params {
		if i > 0 {
			dst = append(dst, 0)
		}
		raw, _ := ctx.UserValue(name).(string)
		var ok bool
		if dst, ok = bridge.AppendUnescaped(dst, raw); !ok {
			return dst, inputError("Invalid path parameter '" + name + "'")
		}
	}
	lens[bridge.SectionParams] = uint32(len(dst) - mark)

	mark = len(dst)
	for k, v := range ctx.QueryArgs().All() {
		if !bridge.CleanText(k) || !bridge.CleanText(v) {
			return dst, "Invalid query string: NUL byte or invalid UTF-8"
		}
		if len(dst) > mark {
			dst = append(dst, 0)
		}
		dst = append(dst, k...)
		dst = append(dst, 0)
		dst = append(dst, v...)
	}
	if rt.Flags&bridge.FlagASGI != 0 {
		// An ASGI scope takes the query string as it came (after the same checks).
		dst = append(dst[:mark], ctx.URI().QueryString()...)
	}
	lens[bridge.SectionQuery] = uint32(len(dst) - mark)

	mark = len(dst)
	if rt.Flags&bridge.FlagHeaders != 0 {
		for k, v := range ctx.Request.Header.All() {
			if header.EqualFoldLower(k, "x-request-id") {
				continue // replaced by the id Go settled on (the client's may be invalid)
			}
			dst = appendLower(dst, k)
			dst = append(dst, 0)
			dst = append(dst, v...)
			dst = append(dst, 0)
		}
		dst = append(dst, "x-request-id\x00"...)
		dst = append(dst, requestID(ctx)...)
	}
	lens[bridge.SectionHeaders] = uint32(len(dst) - mark)

	var recordFlags uint16
	if apart {
		recordFlags = bridge.RecordBodyApart
	} else {
		dst = append(dst, body...)
	}
	lens[bridge.SectionBody] = uint32(len(body))

	mark = len(dst)
	dst = extra.AppendTo(dst, ctx)
	lens[bridge.SectionExtra] = uint32(len(dst) - mark)

	bridge.PutRequestHeader(dst[start:], id, bridge.KindRequest, method, rt.ID, rt.Flags, recordFlags, &lens)
	return dst, ""
}

func appendLower(dst, b []byte) []byte {
	for _, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}
