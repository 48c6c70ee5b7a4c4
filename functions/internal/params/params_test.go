package params

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestInt(t *testing.T) {
	tests := []struct {
		query   string
		want    int64
		wantErr bool
	}{
		{"", 7, false},
		{"n=", 7, false},
		{"n=100", 100, false},
		{"n=0", 0, true},
		{"n=1001", 0, true},
		{"n=ten", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/?"+tt.query, nil)
			got, err := Int(r, "n", 7, 1, 1000)
			if tt.wantErr {
				if !errors.Is(err, ErrBadParam) {
					t.Fatalf("err = %v, want ErrBadParam", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

func TestSeed(t *testing.T) {
	tests := []struct {
		query   string
		want    uint64
		wantErr bool
	}{
		{"", DefaultSeed, false},
		{"seed=9", 9, false},
		{"seed=-1", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got, err := Seed(httptest.NewRequest(http.MethodGet, "/?"+tt.query, nil))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("got %d, %v", got, err)
			}
		})
	}
}

func TestErrorStatus(t *testing.T) {
	rec := httptest.NewRecorder()
	Error(rec, http.StatusInternalServerError, ErrBadParam)
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", rec.Code)
	}
	rec = httptest.NewRecorder()
	Error(rec, http.StatusBadGateway, errors.New("upstream"))
	if rec.Code != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", rec.Code)
	}
}
