package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// maxBody bounds a POSTed user.
const maxBody = 1 << 20

// users is what the handlers need from the store.
type users interface {
	Insert(ctx context.Context, u User) (User, error)
	Get(ctx context.Context, id int64) (User, error)
	Ping(ctx context.Context) error
}

// NewHandler routes the user store's endpoints.
func NewHandler(s users) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /users", makeCreateHandler(s))
	mux.HandleFunc("GET /users/{id}", makeGetHandler(s))
	mux.HandleFunc("GET /healthz", makeHealthHandler(s))
	return mux
}

func makeCreateHandler(s users) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var u User
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
		if err := dec.Decode(&u); err != nil {
			http.Error(w, fmt.Sprintf("bad user JSON: %v", err), http.StatusBadRequest)
			return
		}
		if u.FirstName == "" || u.LastName == "" || u.Email == "" {
			http.Error(w, "first_name, last_name and email are required", http.StatusBadRequest)
			return
		}
		stored, err := s.Insert(r.Context(), u)
		if err != nil {
			slog.Error("userstore: insert", "err", err)
			http.Error(w, "cannot store the user", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Location", "/users/"+strconv.FormatInt(stored.ID, 10))
		writeJSON(w, http.StatusCreated, stored)
	}
}

func makeGetHandler(s users) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil || id < 1 {
			http.Error(w, "id must be a positive integer", http.StatusBadRequest)
			return
		}
		u, err := s.Get(r.Context(), id)
		if errors.Is(err, ErrNotFound) {
			http.Error(w, "user not found", http.StatusNotFound)
			return
		}
		if err != nil {
			slog.Error("userstore: get", "id", id, "err", err)
			http.Error(w, "cannot read the user", http.StatusInternalServerError)
			return
		}
		writeJSON(w, http.StatusOK, u)
	}
}

func makeHealthHandler(s users) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.Ping(ctx); err != nil {
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("OK"))
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
