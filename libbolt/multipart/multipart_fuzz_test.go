package multipart

import (
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
	lim := &Limits{MaxFiles: 4, MaxFields: 4, MemoryMax: 8, TempDir: dir, MaxHeaderBytes: 256}
	f.Fuzz(func(t *testing.T, body []byte) {
		p := parser{lim: lim, sc: newPartScanner(body, "XX", lim.MaxHeaderBytes)}
		bad := p.run()
		defer RemoveAll(p.temps)
		if bad != nil {
			if bad.Status < 400 || bad.Status > 599 || bad.Detail == "" {
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
