package fn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// loopbackDo plays the host side of faas_http for tests: it parses the
// request message, checks the absolute URI, forwards it to the loopback
// server over a fresh TCP connection and returns the raw response message.
func loopbackDo(t *testing.T, allowed string) func([]byte) ([]byte, error) {
	return func(msg []byte) ([]byte, error) {
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(msg)))
		if err != nil {
			return nil, fmt.Errorf("%w: bad request: %v", ErrHostRefused, err)
		}
		if !req.URL.IsAbs() {
			t.Errorf("request line has no absolute URI: %q", msg)
		}
		if req.URL.Host != allowed {
			return nil, fmt.Errorf("%w: host %q not allowed", ErrHostRefused, req.URL.Host)
		}
		conn, err := net.DialTimeout("tcp", req.URL.Host, 5*time.Second)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		if err := req.Write(conn); err != nil {
			return nil, err
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.TransferEncoding = nil
		var out bytes.Buffer
		if err := resp.Write(&out); err != nil {
			return nil, err
		}
		return out.Bytes(), nil
	}
}

func TestMessageTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Echo-Method", r.Method)
		w.Header().Set("X-Echo-Length", fmt.Sprint(r.ContentLength))
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "%s %s %s", r.URL.RequestURI(), r.Header.Get("X-Token"), body)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	client := &http.Client{Transport: messageTransport{do: loopbackDo(t, host)}}

	tests := []struct {
		name       string
		method     string
		url        string
		body       io.Reader
		wantStatus int
		wantBody   string
		wantErr    error
	}{
		{"get with query", http.MethodGet, srv.URL + "/hamlet.txt?x=1", nil, 200, "/hamlet.txt?x=1 tok ", nil},
		{"post streamed body", http.MethodPost, srv.URL + "/users", io.MultiReader(strings.NewReader("a"), strings.NewReader("bc")), 200, "/users tok abc", nil},
		{"not found", http.MethodGet, srv.URL + "/missing", nil, 404, "404 page not found\n", nil},
		{"refused host", http.MethodGet, "http://127.0.0.1:1/x", nil, 0, "", ErrHostRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, tt.url, tt.body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Token", "tok")
			resp, err := client.Do(req)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus || string(got) != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, got, tt.wantStatus, tt.wantBody)
			}
			if resp.Header.Get("X-Echo-Method") != tt.method {
				t.Errorf("server saw method %q", resp.Header.Get("X-Echo-Method"))
			}
		})
	}
}

func TestEncodeRequestNeedsAbsoluteURL(t *testing.T) {
	req := &http.Request{Method: http.MethodGet, URL: mustParse(t, "/relative"), Header: http.Header{}}
	if _, err := encodeRequest(req); err == nil {
		t.Fatal("want error for a relative URL")
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
