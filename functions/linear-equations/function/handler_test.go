package function

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHandle(t *testing.T) {
	tests := []struct {
		query      string
		wantStatus int
		wantN      int64
		wantFirst  int
	}{
		{"unknowns=128", 200, 128, 5},
		{"", 200, 128, 5},
		{"unknowns=2&seed=1", 200, 2, 2},
		{"unknowns=0", 400, 0, 0},
		{"unknowns=99999", 400, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Handle(rec, httptest.NewRequest(http.MethodGet, "/?"+tt.query, nil))
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if tt.wantStatus != 200 {
				return
			}
			var res Result
			if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
				t.Fatal(err)
			}
			if !res.Solved || res.Unknowns != tt.wantN || len(res.First) != tt.wantFirst {
				t.Errorf("result %+v", res)
			}
		})
	}
}

func BenchmarkSolve(b *testing.B) {
	for b.Loop() {
		if _, err := Solve(42, 128); err != nil {
			b.Fatal(err)
		}
	}
}
