package async

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Call is one queued invocation.
type Call struct {
	// ID is the call's X-Call-Id.
	ID string `json:"id"`
	// Name and Namespace name the function.
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// Method is the HTTP method the function is called with.
	Method string `json:"method"`
	// Path is the escaped path after /async-function/NAME ("/" at least);
	// RawQuery the query string without "?".
	Path     string `json:"path"`
	RawQuery string `json:"query,omitempty"`
	// Header is the request's headers (hop-by-hop ones dropped).
	Header http.Header `json:"header,omitempty"`
	// CallbackURL, when set, receives the result (X-Callback-Url).
	CallbackURL string `json:"callback,omitempty"`
	// Submitted is when the call was accepted.
	Submitted time.Time `json:"submitted"`
	// Body is the request body, stored after the JSON record.
	Body []byte `json:"-"`
}

// magic starts every encoded Call; the digit is the format version.
const magic = "FWA1"

// maxRecord bounds the JSON record of an encoded Call (headers, path,
// callback URL), apart from the body.
const maxRecord = 1 << 20

// errBadCall marks a queued message that is not a valid Call.
var errBadCall = errors.New("malformed queued call")

// Marshal encodes c as magic, the JSON record's length (4 bytes, big
// endian), the record, then the body.
func (c Call) Marshal() ([]byte, error) {
	rec, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encode call %s: %w", c.ID, err)
	}
	if len(rec) > maxRecord {
		return nil, fmt.Errorf("encode call %s: headers and path take %d bytes, more than %d", c.ID, len(rec), maxRecord)
	}
	out := make([]byte, 0, len(magic)+4+len(rec)+len(c.Body))
	out = append(out, magic...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(rec)))
	out = append(out, rec...)
	return append(out, c.Body...), nil
}

// Unmarshal decodes what Marshal encoded and checks the call is usable.
//
// # Errors
// A wrapped errBadCall for any other input.
func Unmarshal(data []byte) (Call, error) {
	rest, ok := bytes.CutPrefix(data, []byte(magic))
	if !ok || len(rest) < 4 {
		return Call{}, fmt.Errorf("%w: no %s header", errBadCall, magic)
	}
	n := binary.BigEndian.Uint32(rest)
	rest = rest[4:]
	if n > maxRecord || uint64(n) > uint64(len(rest)) {
		return Call{}, fmt.Errorf("%w: record of %d bytes in %d", errBadCall, n, len(rest))
	}
	var c Call
	if err := json.Unmarshal(rest[:n], &c); err != nil {
		return Call{}, fmt.Errorf("%w: %v", errBadCall, err)
	}
	if len(rest) > int(n) {
		c.Body = rest[n:]
	}
	if err := c.validate(); err != nil {
		return Call{}, fmt.Errorf("%w: %v", errBadCall, err)
	}
	return c, nil
}

// validate checks the fields a worker relies on.
func (c Call) validate() error {
	switch {
	case c.ID == "":
		return errors.New("no call id")
	case c.Name == "" || c.Namespace == "" || strings.ContainsAny(c.Name+c.Namespace, "./ \t\r\n*>"):
		return fmt.Errorf("bad function %q.%q", c.Name, c.Namespace)
	case c.Method == "" || strings.ContainsAny(c.Method, " \t\r\n"):
		return fmt.Errorf("bad method %q", c.Method)
	case !strings.HasPrefix(c.Path, "/"):
		return fmt.Errorf("path %q does not start with /", c.Path)
	}
	if _, err := c.functionURL(); err != nil {
		return err
	}
	if c.CallbackURL != "" {
		if err := CheckCallbackURL(c.CallbackURL); err != nil {
			return err
		}
	}
	return nil
}

// functionURL is the synchronous invocation URL of the call:
// /function/NAME.NAMESPACE/PATH?QUERY.
func (c Call) functionURL() (*url.URL, error) {
	raw := "/function/" + c.Name + "." + c.Namespace + c.Path
	if c.RawQuery != "" {
		raw += "?" + c.RawQuery
	}
	u, err := url.ParseRequestURI(raw)
	if err != nil {
		return nil, fmt.Errorf("call path %q: %w", raw, err)
	}
	return u, nil
}

// CheckCallbackURL reports whether u can receive results: an absolute
// http or https URL with a host.
func CheckCallbackURL(u string) error {
	p, err := url.Parse(u)
	if err != nil {
		return fmt.Errorf("callback URL %q: %w", u, err)
	}
	if (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return fmt.Errorf("callback URL %q: want an absolute http or https URL", u)
	}
	return nil
}
