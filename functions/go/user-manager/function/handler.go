// Package function is the study's user-manager function: it generates fake
// user records (functions/internal/fakeuser: the project's word lists over
// the shared SplitMix64 generator, so the Rust version in
// functions/rust/user-manager generates the same records) and stores each
// one by POSTing it as JSON to the REST endpoint in env USER_API_URL
// (functions/services/userstore, backed by PostgreSQL, is that endpoint in
// this repository). It replaced gofakeit, keeping the record's fields.
//
// Query: entries (default 1, at most 1000), seed (default
// params.DefaultSeed). The records are generated from the seed, so two builds
// produce the same records. The Wasm build needs the endpoint's host in
// annotation com.openfaas.wasm.allowed-hosts.
package function

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/faas-wasm/faas-wasm/functions/internal/fakeuser"
	"github.com/faas-wasm/faas-wasm/functions/internal/params"
)

// errNoURL is returned when USER_API_URL is not set.
var errNoURL = errors.New("env USER_API_URL is not set")

// User is one generated record, in the JSON shape the user store accepts.
type User = fakeuser.User

// Result is the answer of Handle.
type Result struct {
	Entries int64  `json:"entries"`
	Stored  int    `json:"stored"`
	Users   []User `json:"users"`
}

// Handle generates the query's number of users, stores them and answers a
// JSON Result; 502 when the store is unreachable or refuses a record.
func Handle(w http.ResponseWriter, r *http.Request) {
	n, err := params.Int(r, "entries", 1, 1, 1000)
	if err != nil {
		params.Error(w, http.StatusBadRequest, err)
		return
	}
	seed, err := params.Seed(r)
	if err != nil {
		params.Error(w, http.StatusBadRequest, err)
		return
	}
	url := os.Getenv("USER_API_URL")
	if url == "" {
		params.Error(w, http.StatusInternalServerError, errNoURL)
		return
	}
	users := Generate(seed, int(n))
	res := Result{Entries: n, Users: users}
	for i, u := range users {
		if err := store(r, url, u); err != nil {
			params.Error(w, http.StatusBadGateway, fmt.Errorf("store user %d: %w", i, err))
			return
		}
		res.Stored++
	}
	params.JSON(w, res)
}

// Generate returns n fake users drawn from a generator seeded with seed
// (fakeuser.Generate).
func Generate(seed uint64, n int) []User { return fakeuser.Generate(seed, n) }

func store(r *http.Request, url string, u User) error {
	body, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("post %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("post %s: %w", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return fmt.Errorf("post %s: answered %s", url, resp.Status)
	}
	return nil
}
