package fn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// errBadEnvelope marks a malformed stdin envelope of a reactor call.
var errBadEnvelope = errors.New("malformed request envelope")

// readEnvelope reads the reactor stdin envelope of docs/abi.md: KEY=VALUE
// lines, an empty line, then the body. It returns the variables in order and
// a reader positioned at the first byte of the body.
func readEnvelope(r io.Reader) ([][2]string, io.Reader, error) {
	var er envelopeReader
	return er.read(r)
}

// envelopeReader is readEnvelope with buffers that a reactor keeps from
// call to call.
type envelopeReader struct {
	br    *bufio.Reader
	block []byte // the variables' lines
}

// maxKeptBlock is the largest variables block an envelopeReader keeps for
// the next call.
const maxKeptBlock = 64 << 10

// read is readEnvelope. The variables' names and values share one string.
func (er *envelopeReader) read(r io.Reader) ([][2]string, io.Reader, error) {
	if er.br == nil {
		er.br = bufio.NewReader(r)
	} else {
		er.br.Reset(r)
	}
	block := er.block[:0]
	defer func() {
		if cap(block) <= maxKeptBlock {
			er.block = block[:0]
		}
	}()
	for {
		line, err := er.br.ReadSlice('\n')
		block = append(block, line...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(block) == 0 {
				return nil, er.br, nil
			}
			last := block[bytes.LastIndexByte(block, '\n')+1:]
			return nil, nil, fmt.Errorf("read envelope: %w (line %q)", errBadEnvelope, last)
		}
		if len(block) == 1 || bytes.HasSuffix(block, []byte("\n\n")) {
			break
		}
	}
	vars, err := parseEnvelopeVars(string(block[:len(block)-1]))
	if err != nil {
		return nil, nil, err
	}
	return vars, er.br, nil
}

// parseEnvelopeVars splits an envelope's KEY=VALUE lines, each ended by
// '\n', into name/value pairs.
func parseEnvelopeVars(lines string) ([][2]string, error) {
	var vars [][2]string
	if n := strings.Count(lines, "\n"); n > 0 {
		vars = make([][2]string, 0, n)
	}
	for lines != "" {
		line, rest, _ := strings.Cut(lines, "\n")
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("read envelope: %w: line without KEY=", errBadEnvelope)
		}
		vars = append(vars, [2]string{k, v})
		lines = rest
	}
	return vars, nil
}

// envelopeVars indexes an envelope's variables for requestFromCGI and
// callEnv: their names in order, each once, and their values (the last of
// a repeated name wins, as when they are set in order).
type envelopeVars struct {
	names  []string
	values map[string]string
}

func indexVars(vars [][2]string) envelopeVars {
	e := envelopeVars{names: make([]string, 0, len(vars)), values: make(map[string]string, len(vars))}
	for _, kv := range vars {
		if _, dup := e.values[kv[0]]; !dup {
			e.names = append(e.names, kv[0])
		}
		e.values[kv[0]] = kv[1]
	}
	return e
}

// lookup is requestFromCGI's lookup over the variables.
func (e envelopeVars) lookup(k string) (string, bool) {
	v, ok := e.values[k]
	return v, ok
}

// requestFromCGI builds the *http.Request a handler sees from CGI/1.1 and
// classic-watchdog variables (lookup) and the body. Only REQUEST_METHOD,
// PATH_INFO, QUERY_STRING, CONTENT_TYPE, CONTENT_LENGTH, SERVER_PROTOCOL,
// REMOTE_ADDR and HTTP_* are read; Http_Method, Http_Path and Http_Query are
// fallbacks for hosts that only set the watchdog names.
func requestFromCGI(names []string, lookup func(string) (string, bool), body io.Reader) (*http.Request, error) {
	get := func(primary, fallback, def string) string {
		if v, ok := lookup(primary); ok && v != "" {
			return v
		}
		if v, ok := lookup(fallback); ok && v != "" {
			return v
		}
		return def
	}
	method := get("REQUEST_METHOD", "Http_Method", http.MethodGet)
	path := get("PATH_INFO", "Http_Path", "/")
	query := get("QUERY_STRING", "Http_Query", "")
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	uri := path
	if query != "" {
		uri += "?" + query
	}
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return nil, fmt.Errorf("request uri %q: %w", uri, err)
	}
	proto := get("SERVER_PROTOCOL", "", "HTTP/1.1")
	major, minor, ok := http.ParseHTTPVersion(proto)
	if !ok {
		proto, major, minor = "HTTP/1.1", 1, 1
	}
	h := make(http.Header)
	for _, name := range names {
		if !strings.HasPrefix(name, "HTTP_") || len(name) == len("HTTP_") {
			continue
		}
		v, _ := lookup(name)
		h.Add(headerKey(name[len("HTTP_"):]), v)
	}
	if ct := get("CONTENT_TYPE", "", ""); ct != "" {
		h.Set("Content-Type", ct)
	}
	var length int64 = -1
	if cl := get("CONTENT_LENGTH", "", ""); cl != "" {
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("CONTENT_LENGTH %q: not a length", cl)
		}
		length = n
		body = io.LimitReader(body, n)
	}
	if body == nil {
		body = http.NoBody
	}
	r := &http.Request{
		Method:        method,
		URL:           u,
		Proto:         proto,
		ProtoMajor:    major,
		ProtoMinor:    minor,
		Header:        h,
		Body:          io.NopCloser(body),
		ContentLength: length,
		Host:          h.Get("Host"),
		RemoteAddr:    get("REMOTE_ADDR", "", ""),
		RequestURI:    uri,
	}
	h.Del("Host")
	return r, nil
}

// headerKey is the header name of a CGI variable's name after HTTP_
// (X_CALL_ID → X-Call-Id): http.CanonicalHeaderKey of the name with each '_'
// turned into '-', built in one allocation for names of letters, digits,
// '_' and '-' (all the host sends).
func headerKey(cgi string) string {
	var b strings.Builder
	b.Grow(len(cgi))
	upper := true
	for i := 0; i < len(cgi); i++ {
		c := cgi[i]
		switch {
		case c == '_' || c == '-':
			c = '-'
		case 'a' <= c && c <= 'z':
			if upper {
				c -= 'a' - 'A'
			}
		case 'A' <= c && c <= 'Z':
			if !upper {
				c += 'a' - 'A'
			}
		case '0' <= c && c <= '9':
		default:
			return http.CanonicalHeaderKey(strings.ReplaceAll(cgi, "_", "-"))
		}
		b.WriteByte(c)
		upper = c == '-'
	}
	return b.String()
}

// bufferedResponse is the http.ResponseWriter of the Wasm shapes: it keeps
// status, headers and body until writeCGI sends them to stdout.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newBufferedResponse() *bufferedResponse {
	return &bufferedResponse{header: make(http.Header)}
}

// Header returns the response headers.
func (b *bufferedResponse) Header() http.Header { return b.header }

// WriteHeader records the status; later calls are ignored as in net/http.
func (b *bufferedResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

// Write appends to the body, writing status 200 first if none was written.
func (b *bufferedResponse) Write(p []byte) (int, error) {
	b.WriteHeader(http.StatusOK)
	return b.body.Write(p)
}

// headerLineBreaks turns the line breaks of a header value into spaces, so
// that a value can never end the CGI header block or start a header.
var headerLineBreaks = strings.NewReplacer("\r", " ", "\n", " ")

// writeCGI writes the response as a CGI header block (Status first, then the
// headers sorted by name), an empty line and the body. Like net/http it sniffs
// a Content-Type when the handler set none and wrote a body.
func (b *bufferedResponse) writeCGI(w io.Writer) error {
	status := b.status
	if status == 0 {
		status = http.StatusOK
	}
	if _, ok := b.header["Content-Type"]; !ok && b.body.Len() > 0 {
		b.header.Set("Content-Type", http.DetectContentType(b.body.Bytes()))
	}
	var head bytes.Buffer
	head.WriteString("Status: ")
	head.Write(strconv.AppendInt(head.AvailableBuffer(), int64(status), 10))
	head.WriteString(" ")
	head.WriteString(http.StatusText(status))
	head.WriteString("\r\n")
	keys := make([]string, 0, len(b.header))
	for k := range b.header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range b.header[k] {
			head.WriteString(k)
			head.WriteString(": ")
			head.WriteString(headerLineBreaks.Replace(v))
			head.WriteString("\r\n")
		}
	}
	head.WriteString("\r\n")
	if _, err := w.Write(head.Bytes()); err != nil {
		return fmt.Errorf("write response header: %w", err)
	}
	if _, err := w.Write(b.body.Bytes()); err != nil {
		return fmt.Errorf("write response body: %w", err)
	}
	return nil
}

// serveCGI runs h for one request described by CGI variables and writes the
// CGI-style response to out.
func serveCGI(h http.Handler, names []string, lookup func(string) (string, bool), body io.Reader, out io.Writer) error {
	r, err := requestFromCGI(names, lookup, body)
	if err != nil {
		return err
	}
	resp := newBufferedResponse()
	h.ServeHTTP(resp, r)
	return resp.writeCGI(out)
}
