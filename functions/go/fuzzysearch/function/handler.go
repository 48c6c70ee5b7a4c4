// Package function is the study's fuzzysearch function: it fetches the text
// of Hamlet over outbound HTTP and fuzzy-searches its lines with
// github.com/lithammer/fuzzysearch.
//
// The text's URL comes from env HAMLET_URL (set it with the function's
// environment; its Wasm build also needs the URL's host in annotation
// com.openfaas.wasm.allowed-hosts). Query: search (default "Hamlet").
// The text is fetched on every call, as in the study; nothing is cached.
package function

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"

	"github.com/lithammer/fuzzysearch/fuzzy"

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
	search := r.URL.Query().Get("search")
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

// Search fuzzy-matches search against every non-empty line of text, case
// insensitively, and returns the count and the closest matches (smallest
// distance first, then earliest line).
func Search(search string, text []byte) Result {
	var lines []string
	var numbers []int
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			lines = append(lines, line)
			numbers = append(numbers, n)
		}
	}
	ranks := fuzzy.RankFindFold(search, lines)
	sort.SliceStable(ranks, func(i, j int) bool {
		if ranks[i].Distance != ranks[j].Distance {
			return ranks[i].Distance < ranks[j].Distance
		}
		return ranks[i].OriginalIndex < ranks[j].OriginalIndex
	})
	res := Result{Search: search, Lines: len(lines), Matches: len(ranks), Best: []Match{}}
	for _, rk := range ranks[:min(maxShown, len(ranks))] {
		res.Best = append(res.Best, Match{Line: numbers[rk.OriginalIndex], Text: rk.Target, Distance: rk.Distance})
	}
	return res
}
