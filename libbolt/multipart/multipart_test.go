package multipart

import (
	"fmt"
	"strings"
)

// Bodies with the boundary "XX", as the fuzz seeds use.

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
