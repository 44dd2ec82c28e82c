package compress

import (
	"testing"
)

func FuzzAcceptEncoding(f *testing.F) {
	for _, s := range []string{"gzip, br;q=0.5", "*;q=0", ";;,,", "br;q=1.000;x=y", "zstd;q=0.00001", "\xff;q=\x00"} {
		f.Add(s)
	}
	p, _ := Compile(nil)
	f.Fuzz(func(t *testing.T, header string) {
		ParseAcceptEncoding([]byte(header), func(token []byte, weight int) {
			if len(token) == 0 || weight < 0 || weight > 1000 {
				t.Fatalf("token %q weight %d", token, weight)
			}
		})
		if c := p.negotiate([]byte(header), NoCoding); c >= numCodings {
			t.Fatalf("coding %d", c)
		}
	})
}
