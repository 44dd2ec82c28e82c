package server

import (
	"bytes"
	"mime/multipart"
	"os"
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
		p := multipartParser{s: s, r: multipart.NewReader(bytes.NewReader(body), "XX")}
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
