package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/django-bolt-go/django-bolt-go/libbolt/bridge"
	"github.com/django-bolt-go/django-bolt-go/libbolt/multipart"
	"github.com/django-bolt-go/django-bolt-go/libbolt/router"
)

// formEcho answers with what Go handed over: {"extra": <extra JSON>, "body": "<body>"},
// and records which spooled files existed while the handler ran.
func formEcho(spooled *[]string) answerFunc {
	return func(r *bridge.Request) *bridge.Response {
		var x struct {
			Files []multipart.File `json:"files"`
		}
		_ = json.Unmarshal(r.Extra, &x)
		for _, f := range x.Files {
			if f.Path != "" {
				if _, err := os.Stat(f.Path); err == nil {
					*spooled = append(*spooled, f.Path)
				}
			}
		}
		body, _ := json.Marshal(map[string]any{"extra": json.RawMessage(orNull(r.Extra)), "body": string(r.Body)})
		return &bridge.Response{Status: 200, ContentType: 1, Body: body}
	}
}

func orNull(b []byte) []byte {
	if len(b) == 0 {
		return []byte("null")
	}
	return bytes.Clone(b)
}

func multipartBody(parts ...string) string {
	return strings.Join(parts, "") + "--XX--\r\n"
}

func field(name, value string) string {
	return fmt.Sprintf("--XX\r\nContent-Disposition: form-data; name=%q\r\n\r\n%s\r\n", name, value)
}

func filePart(name, filename, ctype, content string) string {
	return fmt.Sprintf("--XX\r\nContent-Disposition: form-data; name=%q; filename=%q\r\nContent-Type: %s\r\n\r\n%s\r\n",
		name, filename, ctype, content)
}

func postForm(t *testing.T, ts *testServer, ctype, body string) *fasthttp.Response {
	t.Helper()
	return ts.dial(t).do(t, fmt.Sprintf("POST /up HTTP/1.1\r\nHost: t\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
		ctype, len(body), body))
}

type formReply struct {
	Extra struct {
		Form  [][2]string      `json:"form"`
		Files []multipart.File `json:"files"`
	} `json:"extra"`
	Body string `json:"body"`
}

func decodeForm(t *testing.T, resp *fasthttp.Response) formReply {
	t.Helper()
	if resp.StatusCode() != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode(), resp.Body())
	}
	var r formReply
	if err := json.Unmarshal(resp.Body(), &r); err != nil {
		t.Fatalf("reply %q: %v", resp.Body(), err)
	}
	return r
}

func uploadServer(t *testing.T, spooled *[]string) (*testServer, string) {
	dir := t.TempDir()
	cfg := Config{
		Routes:        routes(router.Route{ID: 0, Method: "POST", Path: "/up", Flags: bridge.FlagMultipart}),
		UploadTempDir: dir, UploadMemoryMax: 8, MultipartMaxFiles: 3, MultipartMaxFields: 3,
	}
	return startServer(t, cfg, formEcho(spooled)), dir
}

func TestMultipartFieldsAndFiles(t *testing.T) {
	t.Parallel()
	var spooled []string
	ts, dir := uploadServer(t, &spooled)
	big := strings.Repeat("0123456789", 10) // over the 8-byte memory threshold
	body := multipartBody(field("title", "hé"), filePart("a", "a.txt", "text/plain", "small"),
		filePart("b", "b.bin", "application/octet-stream", big), field("title", "again"))
	r := decodeForm(t, postForm(t, ts, "multipart/form-data; boundary=XX", body))
	if want := [][2]string{{"title", "hé"}, {"title", "again"}}; fmt.Sprint(r.Extra.Form) != fmt.Sprint(want) {
		t.Fatalf("form %v, want %v", r.Extra.Form, want)
	}
	files := r.Extra.Files
	if len(files) != 2 {
		t.Fatalf("files %+v", files)
	}
	small, spool := files[0], files[1]
	if small.Name != "a" || small.Filename != "a.txt" || small.ContentType != "text/plain" || small.Size != 5 ||
		r.Body[small.Offset:small.Offset+5] != "small" {
		t.Fatalf("small file %+v, body %q", small, r.Body)
	}
	if spool.Offset != -1 || spool.Size != int64(len(big)) || !strings.HasPrefix(spool.Path, dir) {
		t.Fatalf("spooled file %+v", spool)
	}
	if len(spooled) != 1 || spooled[0] != spool.Path {
		t.Fatalf("the spooled file did not exist while the handler ran: %v", spooled)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("spooled files left behind: %v", left)
	}
}

// The body section is the in-memory files' bytes; a single file's are those of the request
// body (not copied), and a second file is appended to a copy, never over the request.
func TestMultipartBodyHoldsTheFiles(t *testing.T) {
	t.Parallel()
	ts, _ := uploadServer(t, new([]string))
	one := decodeForm(t, postForm(t, ts, "multipart/form-data; boundary=XX",
		multipartBody(field("a", "1"), filePart("f", "f.txt", "text/plain", "seven b"), field("b", "2"))))
	if one.Body != "seven b" || len(one.Extra.Files) != 1 || one.Extra.Files[0].Offset != 0 {
		t.Fatalf("one file: body %q, files %+v", one.Body, one.Extra.Files)
	}
	two := decodeForm(t, postForm(t, ts, "multipart/form-data; boundary=XX",
		multipartBody(filePart("f", "1", "t/p", "one"), field("a", "1"), filePart("f", "2", "t/p", "two"))))
	files := two.Extra.Files
	if len(files) != 2 || two.Body != "onetwo" || files[0].Offset != 0 || files[1].Offset != 3 {
		t.Fatalf("two files: body %q, files %+v", two.Body, files)
	}
	none := decodeForm(t, postForm(t, ts, "multipart/form-data; boundary=XX", multipartBody(field("a", "1"))))
	if none.Body != "" {
		t.Fatalf("no files: body %q", none.Body)
	}
}

func TestURLEncodedFormParsedByGo(t *testing.T) {
	t.Parallel()
	ts, _ := uploadServer(t, new([]string))
	r := decodeForm(t, postForm(t, ts, "application/x-www-form-urlencoded", "a=1&b=x+y&a=%C3%A9"))
	if want := [][2]string{{"a", "1"}, {"b", "x y"}, {"a", "é"}}; fmt.Sprint(r.Extra.Form) != fmt.Sprint(want) {
		t.Fatalf("form %v, want %v", r.Extra.Form, want)
	}
}

func TestOtherBodiesPassThrough(t *testing.T) {
	t.Parallel()
	ts, _ := uploadServer(t, new([]string))
	r := decodeForm(t, postForm(t, ts, "application/json", `{"a":1}`))
	if r.Body != `{"a":1}` || r.Extra.Form != nil {
		t.Fatalf("reply %+v", r)
	}
}

func TestBadMultipartBodies(t *testing.T) {
	t.Parallel()
	var spooled []string
	ts, dir := uploadServer(t, &spooled)
	mp := "multipart/form-data; boundary=XX"
	cases := []struct {
		name, ctype, body string
		status            int
		detail            string
	}{
		{"no boundary", "multipart/form-data", "x", 400, "Multipart body without a valid boundary"},
		{"truncated", mp, "--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nabc", 400, "Malformed multipart body: unexpected EOF"},
		{"no name", mp, multipartBody("--XX\r\nContent-Disposition: form-data\r\n\r\nv\r\n"), 400, "Multipart part without a form-data name"},
		{"bad utf-8 value", mp, multipartBody(field("a", "\xff")), 400, "Invalid UTF-8 or NUL in form field 'a'"},
		{"NUL in value", mp, multipartBody(field("a", "x\x00y")), 400, "Invalid UTF-8 or NUL in form field 'a'"},
		{"bad utf-8 name", mp, multipartBody("--XX\r\nContent-Disposition: form-data; name=\"\xff\"\r\n\r\nv\r\n"), 400, "Invalid UTF-8 or NUL in a multipart field name"},
		{"too many fields", mp, multipartBody(field("a", "1"), field("b", "2"), field("c", "3"), field("d", "4")), 413, "Too many form fields (at most 3)"},
		{"too many files", mp, multipartBody(filePart("f", "1", "t/p", "1"), filePart("f", "2", "t/p", "2"),
			filePart("f", "3", "t/p", "3"), filePart("f", "4", "t/p", strings.Repeat("x", 100))), 413, "Too many files (at most 3)"},
		{"part headers too large", mp, multipartBody("--XX\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Pad: " +
			strings.Repeat("p", 20<<10) + "\r\n\r\nv\r\n"), 413, "Multipart part headers too large"},
		{"urlencoded bad utf-8", "application/x-www-form-urlencoded", "a=%ff", 400, "Invalid UTF-8 or NUL in a form field"},
		{"urlencoded too many", "application/x-www-form-urlencoded", "a=1&b=2&c=3&d=4", 413, "Too many form fields (at most 3)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assertJSONError(t, postForm(t, ts, tc.ctype, tc.body), tc.status, tc.detail)
		})
	}
	// A spooled file of a request that was then refused is removed too.
	body := multipartBody(filePart("f", "big", "t/p", strings.Repeat("x", 100)), field("a", "\xff"))
	assertJSONError(t, postForm(t, ts, mp, body), 400, "Invalid UTF-8 or NUL in form field 'a'")
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("spooled files left behind: %v", left)
	}
	if len(spooled) != 0 {
		t.Fatalf("refused requests reached Python")
	}
}

func TestUploadTempDirMustExist(t *testing.T) {
	t.Parallel()
	_, err := ParseConfig([]byte(`{"upload_temp_dir": "/nonexistent/bolt-uploads"}`))
	if err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Fatalf("ParseConfig = %v", err)
	}
}
