package function

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/handlertest"
)

func TestHandle(t *testing.T) {
	var mu sync.Mutex
	var stored []User
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/users" {
			http.Error(w, "no", http.StatusNotFound)
			return
		}
		var u User
		if err := json.NewDecoder(r.Body).Decode(&u); err != nil || u.Email == "" {
			http.Error(w, "bad user", http.StatusBadRequest)
			return
		}
		mu.Lock()
		stored = append(stored, u)
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	tests := []struct {
		name       string
		url        string
		query      string
		wantStatus int
		wantStored int
	}{
		{"study input", srv.URL + "/users", "entries=1", 200, 1},
		{"three", srv.URL + "/users", "entries=3&seed=9", 200, 3},
		{"store refuses", srv.URL + "/elsewhere", "entries=1", 502, 0},
		{"no url", "", "entries=1", 500, 0},
		{"bad entries", srv.URL + "/users", "entries=0", 400, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("USER_API_URL", tt.url)
			mu.Lock()
			stored = nil
			mu.Unlock()
			res, ok := handlertest.Get[Result](t, Handle, tt.query, tt.wantStatus)
			mu.Lock()
			defer mu.Unlock()
			if len(stored) != tt.wantStored {
				t.Fatalf("store got %d users, want %d", len(stored), tt.wantStored)
			}
			if !ok {
				return
			}
			if res.Stored != tt.wantStored || len(res.Users) != tt.wantStored || res.Users[0] != stored[0] {
				t.Errorf("result %+v, stored %+v", res, stored)
			}
		})
	}
}

func TestGenerateDeterministic(t *testing.T) {
	a, b, c := Generate(1, 2), Generate(1, 2), Generate(2, 2)
	if a[0] != b[0] || a[1] != b[1] {
		t.Error("same seed, different users")
	}
	if a[0] == c[0] {
		t.Error("different seeds, same user")
	}
	if a[0].FirstName == "" || a[0].Email == "" || a[0].Username == "" {
		t.Errorf("empty fields: %+v", a[0])
	}
}
