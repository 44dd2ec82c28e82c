package observe

import "testing"

func TestUserIDFromExtra(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		`{"context":{"user_id":"u-1","sub":"x"}}`: `"u-1"`,
		`{"context":{"user_id":42}}`:              `42`,
		`{"user_id":"top"}`:                       `"top"`,
		`{"context":{"user_id":{"a":1}}}`:         ``,
		`{"form":{}}`:                             ``,
		`{"context":{"user_id":"a\"b\n"}}`:        `"a\"b\n"`,
	} {
		if got := string(userID([]byte(raw))); got != want {
			t.Errorf("%s: got %s, want %s", raw, got, want)
		}
	}
}
