package server

import (
	"bytes"
	"io"
	"mime/multipart"
	"os"
	"reflect"
	"testing"
)

// FuzzMultipart: any body either fails with a 4xx/5xx or yields files whose offsets and
// sizes lie inside the body section, and spooled files are always accounted for.
func FuzzMultipart(f *testing.F) {
	f.Add([]byte(multipartBody(field("a", "1"), filePart("f", "x.txt", "text/plain", "hello world, spooled"))))
	f.Add([]byte("--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nabc"))
	f.Add([]byte(multipartBody("--XX\r\nContent-Disposition: form-data; name=\"\xff\"\r\n\r\nv\r\n")))
	f.Add([]byte("--XX--\r\n"))
	dir := f.TempDir()
	s := &Server{cfg: &Config{MultipartMaxFiles: 4, MultipartMaxFields: 4, UploadMemoryMax: 8, UploadTempDir: dir, MaxHeaderBytes: 256}}
	f.Fuzz(func(t *testing.T, body []byte) {
		p := multipartParser{s: s, sc: newPartScanner(body, "XX", s.cfg.MaxHeaderBytes)}
		bad := p.run()
		defer removeAll(p.temps)
		if bad != nil {
			if bad.status < 400 || bad.status > 599 || bad.detail == "" {
				t.Fatalf("error %+v", bad)
			}
			return
		}
		spooled := 0
		for _, file := range p.files {
			if file.Path != "" {
				spooled++
				if st, err := os.Stat(file.Path); err != nil || st.Size() != file.Size {
					t.Fatalf("spooled file %+v: %v", file, err)
				}
				continue
			}
			if file.Offset < 0 || file.Size < 0 || file.Offset+int(file.Size) > len(p.body) {
				t.Fatalf("file %+v outside a %d-byte body", file, len(p.body))
			}
		}
		if spooled != len(p.temps) {
			t.Fatalf("%d spooled files, %d temp paths", spooled, len(p.temps))
		}
	})
}

// FuzzScannerMatchesMimeMultipart: where both mime/multipart and partScanner read a whole
// body, they find the same parts with the same headers and data. (partScanner is stricter
// about bodies cut short after a delimiter line: those are 400s, not an empty form.)
func FuzzScannerMatchesMimeMultipart(f *testing.F) {
	f.Add([]byte(multipartBody(field("a", "1"), filePart("f", "x.txt", "text/plain", "hello\r\n--XXnot"))))
	f.Add([]byte("preamble\r\n--XX \t\r\nA: b\r\n\r\n\r\n--XX--\r\nepilogue"))
	f.Add([]byte("--XX\nA: b\n\nv\n--XX--\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		var want []rawPart
		r := multipart.NewReader(bytes.NewReader(body), "XX")
		for {
			part, err := r.NextRawPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return // mime/multipart refuses it: nothing to compare
			}
			data, err := io.ReadAll(part)
			if err != nil {
				return
			}
			want = append(want, rawPart{header: part.Header, data: data})
		}
		sc := newPartScanner(body, "XX", 1<<20)
		for i := 0; ; i++ {
			got, err := sc.next()
			if err != nil {
				return
			}
			if got == nil {
				if i != len(want) {
					t.Fatalf("%d parts, mime/multipart read %d", i, len(want))
				}
				return
			}
			if i >= len(want) || !bytes.Equal(got.data, want[i].data) || !reflect.DeepEqual(got.header, want[i].header) {
				t.Fatalf("part %d differs: %q %v", i, got.data, got.header)
			}
		}
	})
}
