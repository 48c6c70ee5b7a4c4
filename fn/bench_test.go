package fn

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

// BenchmarkReactorCall measures the guest-side work of one reactor call
// without the host: parse the envelope, build the request, run a small
// handler, write the CGI response.
func BenchmarkReactorCall(b *testing.B) {
	env := "REQUEST_METHOD=POST\nPATH_INFO=/\nQUERY_STRING=n=100\nCONTENT_TYPE=text/plain\nCONTENT_LENGTH=5\n" +
		"HTTP_HOST=gateway\nHTTP_X_CALL_ID=abc\nHttp_Method=POST\nHttp_Path=/\n\nhello"
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(body)
	}))
	var out bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		out.Reset()
		vars, body, err := readEnvelope(strings.NewReader(env))
		if err != nil {
			b.Fatal(err)
		}
		ev := indexVars(vars)
		if err := serveCGI(h, ev.names, ev.lookup, body, &out); err != nil {
			b.Fatal(err)
		}
	}
}
