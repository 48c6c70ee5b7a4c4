package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/services/userstore/pgserver"
)

// startStore starts a private PostgreSQL server and opens a Store on it;
// both are stopped in t.Cleanup.
func startStore(t *testing.T) *Store {
	t.Helper()
	if err := pgserver.Available(); err != nil {
		if pgserver.RequiredByCI() {
			t.Fatalf("CI=true and PostgreSQL is missing (hack/install-deps.sh installs it): %v", err)
		}
		t.Skip(err)
	}
	dir, err := os.MkdirTemp("", "userstore-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	srv, err := pgserver.Start(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Stop(context.Background()); err != nil {
			t.Error(err)
		}
	})
	store, err := Open(context.Background(), srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	return store
}

func TestUserStoreOverHTTP(t *testing.T) {
	store := startStore(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln, NewHandler(store)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	base := "http://" + ln.Addr().String()

	alice := User{FirstName: "Alice", LastName: "Liddell", Email: "alice@example.org", Username: "alice", City: "Oxford"}
	body, _ := json.Marshal(alice)
	resp, err := http.Post(base+"/users", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var created User
	_ = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || created.ID < 1 || resp.Header.Get("Location") == "" {
		t.Fatalf("create: %d %+v location %q", resp.StatusCode, created, resp.Header.Get("Location"))
	}

	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantIn     string
	}{
		{"get stored", http.MethodGet, resp.Header.Get("Location"), "", 200, `"email":"alice@example.org"`},
		{"get unknown", http.MethodGet, "/users/999999", "", 404, "not found"},
		{"get bad id", http.MethodGet, "/users/abc", "", 400, "positive integer"},
		{"post invalid JSON", http.MethodPost, "/users", "{", 400, "bad user JSON"},
		{"post missing fields", http.MethodPost, "/users", `{"first_name":"x"}`, 400, "required"},
		{"post second", http.MethodPost, "/users", `{"first_name":"B","last_name":"C","email":"b@c"}`, 201, `"first_name":"B"`},
		{"health", http.MethodGet, "/healthz", "", 200, "OK"},
		{"wrong method", http.MethodDelete, "/users/1", "", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, base+tt.path, strings.NewReader(tt.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(b), tt.wantIn) {
				t.Errorf("got %d %s", resp.StatusCode, b)
			}
		})
	}
}

func TestStoreGetNotFound(t *testing.T) {
	store := startStore(t)
	if _, err := store.Get(context.Background(), 42); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	u, err := store.Insert(context.Background(), User{FirstName: "a", LastName: "b", Email: "c"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := store.Get(context.Background(), u.ID)
	if err != nil || got.Email != "c" || got.CreatedAt.IsZero() {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestRunNeedsDatabase(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	if err := run([]string{"-addr", "127.0.0.1:0"}); !errors.Is(err, errNoDatabase) {
		t.Fatalf("err = %v", err)
	}
}
