// Package multipart parses multipart/form-data and urlencoded request bodies in Go, for
// routes flagged bridge.FlagMultipart, so that Python gets ready fields and files.
package multipart

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/textproto"
	"os"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/extra"
	"github.com/django-bolt-go/django-bolt-go/libbolt/internal/logline"
)

// Multipart bodies are parsed here, for bridge.FlagMultipart routes only, so that Python gets
// ready fields and files: request.extra["form"] is [[name, value], ...] and
// request.extra["files"] a list of File. Small files travel in the record's body
// section (offset and size into it); larger ones are written to a temp file that Go
// deletes once the handler answered (or timed out, or the client went away).
//
// The body section is the in-memory files' bytes one after the other. A single file's are
// not copied: the section is then that slice of the request body, which Python hands to
// the handler without slicing it again (bench/RESULTS.md, issue 3).

// File is one uploaded file as request.extra["files"] lists it (JSON).
type File struct {
	Name        string      `json:"name"`
	Filename    string      `json:"filename"`
	ContentType string      `json:"content_type"`
	Size        int64       `json:"size"`
	Offset      int         `json:"offset"`         // into the record body; -1 when Path is set
	Path        string      `json:"path,omitempty"` // spooled to disk
	Headers     [][2]string `json:"headers"`
}

// Limits bound what one body may hold; the server builds them once from its config.
type Limits struct {
	MaxFiles       int    // file parts (-> 413)
	MaxFields      int    // other parts (-> 413)
	MaxHeaderBytes int    // each part's header block, as the request's (-> 413)
	MemoryMax      int    // files up to this size travel in the record, larger ones in TempDir
	TempDir        string // "": the system's
}

// Error is a client error with its status and the detail of its JSON body.
type Error struct {
	Status int
	Detail string
}

var logger = logline.New("django_bolt.server")

// Parse parses the body of a multipart/form-data request. It returns the bytes for the
// record's body section and the temp files it created (the caller removes them with
// RemoveAll once the handler answered). An urlencoded body is decoded into "form" too; any
// other content type leaves the body as it is.
func Parse(ctx *fasthttp.RequestCtx, lim *Limits) (body []byte, temps []string, bad *Error) {
	ct := ctx.Request.Header.ContentType()
	if hasPrefixFold(ct, "application/x-www-form-urlencoded") {
		return ctx.PostBody(), nil, parseURLEncoded(ctx, lim.MaxFields)
	}
	if !hasPrefixFold(ct, "multipart/form-data") {
		return ctx.PostBody(), nil, nil
	}
	_, params, err := mime.ParseMediaType(string(ct))
	boundary := params["boundary"]
	if err != nil || boundary == "" {
		return nil, nil, &Error{fasthttp.StatusBadRequest, "Multipart body without a valid boundary"}
	}
	p := parser{lim: lim, sc: newPartScanner(ctx.PostBody(), boundary, lim.MaxHeaderBytes)}
	bad = p.run()
	if bad != nil {
		RemoveAll(p.temps)
		return nil, nil, bad
	}
	form, err := json.Marshal(p.form)
	if err == nil {
		var files []byte
		if files, err = json.Marshal(p.files); err == nil {
			extra.Add(ctx, "form", form)
			extra.Add(ctx, "files", files)
			return p.body, p.temps, nil
		}
	}
	RemoveAll(p.temps)
	return nil, nil, &Error{fasthttp.StatusInternalServerError, "Internal Server Error"}
}

func parseURLEncoded(ctx *fasthttp.RequestCtx, maxFields int) *Error {
	form := [][2]string{}
	for k, v := range ctx.PostArgs().All() {
		switch {
		case len(form) >= maxFields:
			return &Error{fasthttp.StatusRequestEntityTooLarge, fmt.Sprintf("Too many form fields (at most %d)", maxFields)}
		case !bridge.CleanText(k) || !bridge.CleanText(v):
			return &Error{fasthttp.StatusBadRequest, "Invalid UTF-8 or NUL in a form field"}
		}
		form = append(form, [2]string{string(k), string(v)})
	}
	b, err := json.Marshal(form)
	if err != nil {
		return &Error{fasthttp.StatusInternalServerError, "Internal Server Error"}
	}
	extra.Add(ctx, "form", b)
	return nil
}

type parser struct {
	lim     *Limits
	sc      *partScanner
	form    [][2]string
	files   []File
	body    []byte
	temps   []string
	nFields int
}

func (p *parser) run() *Error {
	p.form, p.files = [][2]string{}, []File{}
	lim := p.lim
	for {
		part, err := p.sc.next()
		if err != nil {
			return readError(err)
		}
		if part == nil {
			return nil
		}
		// The request's own header limit applies to each part's headers too.
		if headerBytes(part.header) > lim.MaxHeaderBytes {
			return &Error{fasthttp.StatusRequestEntityTooLarge, "Multipart part headers too large"}
		}
		_, disp, err := mime.ParseMediaType(part.header.Get("Content-Disposition"))
		name, isFile := disp["name"], false
		if _, ok := disp["filename"]; ok {
			isFile = true
		}
		if err != nil || name == "" {
			return &Error{fasthttp.StatusBadRequest, "Multipart part without a form-data name"}
		}
		if !bridge.CleanText([]byte(name)) {
			return &Error{fasthttp.StatusBadRequest, "Invalid UTF-8 or NUL in a multipart field name"}
		}
		if !isFile {
			if p.nFields++; p.nFields > lim.MaxFields {
				return &Error{fasthttp.StatusRequestEntityTooLarge, fmt.Sprintf("Too many form fields (at most %d)", lim.MaxFields)}
			}
			value := part.data
			if !bridge.CleanText(value) {
				return &Error{fasthttp.StatusBadRequest, fmt.Sprintf("Invalid UTF-8 or NUL in form field '%s'", name)}
			}
			p.form = append(p.form, [2]string{name, string(value)})
			continue
		}
		if len(p.files) >= lim.MaxFiles {
			return &Error{fasthttp.StatusRequestEntityTooLarge, fmt.Sprintf("Too many files (at most %d)", lim.MaxFiles)}
		}
		if bad := p.addFile(part, name, disp["filename"]); bad != nil {
			return bad
		}
	}
}

// addFile keeps a file part in the body, or spools it to disk when it is larger than
// UploadMemoryMax (so one big upload does not sit in the record and in Python's memory).
func (p *parser) addFile(part *rawPart, name, filename string) *Error {
	f := File{Name: name, Filename: filename, ContentType: part.header.Get("Content-Type"),
		Offset: len(p.body), Size: int64(len(part.data))}
	for k, vs := range part.header {
		for _, v := range vs {
			f.Headers = append(f.Headers, [2]string{strings.ToLower(k), v})
		}
	}
	if len(part.data) <= p.lim.MemoryMax {
		if p.body == nil {
			// Capped at its length: appending the next file copies both into a new array
			// instead of writing over the rest of the request body.
			p.body = part.data[:len(part.data):len(part.data)]
		} else {
			p.body = append(p.body, part.data...)
		}
		p.files = append(p.files, f)
		return nil
	}
	tmp, err := os.CreateTemp(p.lim.TempDir, "bolt-upload-*")
	if err != nil {
		logger.Printf("upload temp file: %v", err)
		return &Error{fasthttp.StatusInternalServerError, "Internal Server Error"}
	}
	p.temps = append(p.temps, tmp.Name())
	_, werr := tmp.Write(part.data)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		logger.Printf("upload temp file: %v", werr)
		return &Error{fasthttp.StatusInternalServerError, "Internal Server Error"}
	}
	f.Offset, f.Path = -1, tmp.Name()
	p.files = append(p.files, f)
	return nil
}

func headerBytes(h textproto.MIMEHeader) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4 // ": " and CRLF
		}
	}
	return n
}

func readError(err error) *Error {
	if errors.Is(err, errPartHeaderSize) {
		return &Error{fasthttp.StatusRequestEntityTooLarge, "Multipart part headers too large"}
	}
	return &Error{fasthttp.StatusBadRequest, "Malformed multipart body: " + strings.TrimPrefix(err.Error(), "multipart: ")}
}

// RemoveAll deletes the temp files Parse created.
func RemoveAll(paths []string) {
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			logger.Printf("upload temp file: %v", err)
		}
	}
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && strings.EqualFold(string(b[:len(prefix)]), prefix)
}

// CheckTempDir fails start-up when the upload temp dir is set but not a directory.
func CheckTempDir(dir string) error {
	if dir == "" {
		return nil
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("upload_temp_dir %q is not a directory", dir)
	}
	return nil
}
