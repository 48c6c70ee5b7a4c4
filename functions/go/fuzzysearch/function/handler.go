// Package function is the study's fuzzysearch function: it fetches the text
// of Hamlet over outbound HTTP and fuzzy-searches its lines (subsequence
// match, ranked by Levenshtein distance: the rule is in search.go and is the
// same in the Rust version).
//
// The text's URL comes from env HAMLET_URL (set it with the function's
// environment; its Wasm build also needs the URL's host in annotation
// com.openfaas.wasm.allowed-hosts). Query: search (default "Hamlet").
// The text is fetched on every call, as in the study; nothing is cached.
package function

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/faas-wasm/faas-wasm/functions/internal/params"
)

// maxText bounds the fetched text (the complete play is about 190 KB).
const maxText = 16 << 20

// maxShown is how many of the best matches the answer lists.
const maxShown = 10

// errNoURL is returned when HAMLET_URL is not set.
var errNoURL = errors.New("env HAMLET_URL is not set")

// Match is one matching line.
type Match struct {
	Line     int    `json:"line"`
	Text     string `json:"text"`
	Distance int    `json:"distance"`
}

// Result is the answer of Handle.
type Result struct {
	Search  string  `json:"search"`
	Lines   int     `json:"lines"`
	Matches int     `json:"matches"`
	Best    []Match `json:"best"`
}

// Handle fetches the text, searches it and answers a JSON Result; 502 when
// the text cannot be fetched.
func Handle(w http.ResponseWriter, r *http.Request) {
	search := validUTF8([]byte(r.URL.Query().Get("search")))
	if search == "" {
		search = "Hamlet"
	}
	text, err := fetch(r, os.Getenv("HAMLET_URL"))
	if err != nil {
		params.Error(w, http.StatusBadGateway, err)
		return
	}
	params.JSON(w, Search(search, text))
}

func fetch(r *http.Request, url string) ([]byte, error) {
	if url == "" {
		return nil, errNoURL
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch text: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch text: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch text: %s answered %s", url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxText))
	if err != nil {
		return nil, fmt.Errorf("fetch text: %w", err)
	}
	return b, nil
}
