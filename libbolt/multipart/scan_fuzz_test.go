package multipart

import (
	"bytes"
	"io"
	mimemultipart "mime/multipart"
	"reflect"
	"testing"
)

// FuzzScannerMatchesMimeMultipart: where both mime/multipart and partScanner read a whole
// body, they find the same parts with the same headers and data. (partScanner is stricter
// about bodies cut short after a delimiter line: those are 400s, not an empty form.)
func FuzzScannerMatchesMimeMultipart(f *testing.F) {
	f.Add([]byte(multipartBody(field("a", "1"), filePart("f", "x.txt", "text/plain", "hello\r\n--XXnot"))))
	f.Add([]byte("preamble\r\n--XX \t\r\nA: b\r\n\r\n\r\n--XX--\r\nepilogue"))
	f.Add([]byte("--XX\nA: b\n\nv\n--XX--\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		var want []rawPart
		r := mimemultipart.NewReader(bytes.NewReader(body), "XX")
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
