// Package handlertest drives a study function's HTTP handler in its unit
// tests: one request through an httptest recorder, the status checked, and
// the JSON answer decoded into the function's result type; Run does that
// for a table of queries.
//
// It asserts nothing about the result itself (each function's test does)
// and starts no server: handlers are called directly. Only the tests of
// the functions under functions/ use it.
package handlertest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// Do sends req to h and returns the recorded answer; it fails tb (Fatal,
// with the body) unless h answered wantStatus.
func Do(tb testing.TB, h http.HandlerFunc, req *http.Request, wantStatus int) *httptest.ResponseRecorder {
	tb.Helper()
	rec := httptest.NewRecorder()
	h(rec, req)
	if rec.Code != wantStatus {
		tb.Fatalf("%s %s: status %d, want %d: %s", req.Method, req.URL, rec.Code, wantStatus, rec.Body)
	}
	return rec
}

// Decode returns rec's body decoded as JSON into a T; it fails tb (Fatal)
// when the body is not such JSON.
func Decode[T any](tb testing.TB, rec *httptest.ResponseRecorder) T {
	tb.Helper()
	var res T
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
		tb.Fatalf("decode %s: %v", rec.Body, err)
	}
	return res
}

// Get sends GET /?query to h through Do. When h answered 200 as wanted it
// returns the JSON answer decoded into a T and ok; for any other wanted
// status (an error answer) it returns ok false and the zero T.
func Get[T any](tb testing.TB, h http.HandlerFunc, query string, wantStatus int) (res T, ok bool) {
	tb.Helper()
	rec := Do(tb, h, httptest.NewRequest(http.MethodGet, "/?"+query, nil), wantStatus)
	if wantStatus != http.StatusOK {
		return res, false
	}
	return Decode[T](tb, rec), true
}

// Case is one row of a handler's table test: GET /?Query must answer
// Status, and a 200 answer must hold what Want describes.
type Case[W any] struct {
	Query  string
	Status int
	Want   W
}

// Run runs each case as a subtest named by its query: it sends the query
// to h through Get and, for a 200 answer, calls check with the case's Want
// and the decoded result.
func Run[T, W any](t *testing.T, h http.HandlerFunc, cases []Case[W], check func(t *testing.T, want W, got T)) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Query, func(t *testing.T) {
			if got, ok := Get[T](t, h, c.Query, c.Status); ok {
				check(t, c.Want, got)
			}
		})
	}
}
