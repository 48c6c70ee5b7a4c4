// Package function is the study's whatlang function: natural-language
// detection of a text by the project's own trigram detector
// (functions/internal/trigram: script by Unicode ranges, then Cavnar and
// Trenkle's rank-order distance to trigram profiles learnt from a corpus
// written for the project). The Rust version (functions/rust/whatlang) uses
// the same table and rules and answers byte for byte the same.
//
// It replaced github.com/abadojack/whatlanggo, keeping its answer's fields,
// languages, codes and names; the script of Japanese is now "Kana" (was an
// empty string) and the confidence comes from the new detector.
//
// Query: text (the sentence to classify). When text is absent the request
// body is classified instead (at most 1 MiB).
package function

import (
	"fmt"
	"io"
	"net/http"

	"github.com/faas-wasm/faas-wasm/functions/internal/params"
	"github.com/faas-wasm/faas-wasm/functions/internal/trigram"
)

// maxBody bounds the text read from a request body.
const maxBody = 1 << 20

// Result is the answer of Handle. Language, Code and Script are empty when
// the text has no letter of a known script.
type Result struct {
	Language string `json:"language"`
	Code     string `json:"code"`
	Script   string `json:"script"`
	// Confidence is a number from 0 to 1 with four decimals, as a string.
	Confidence string `json:"confidence"`
	Reliable   bool   `json:"reliable"`
}

// Handle detects the language of the query's text (or the body) and answers
// a JSON Result; 400 when there is no text.
func Handle(w http.ResponseWriter, r *http.Request) {
	text := r.URL.Query().Get("text")
	if text == "" && r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			params.Error(w, http.StatusBadRequest, fmt.Errorf("read body: %w", err))
			return
		}
		text = string(b)
	}
	if text == "" {
		params.Error(w, http.StatusBadRequest, fmt.Errorf("%w: text is empty", params.ErrBadParam))
		return
	}
	params.JSON(w, Detect(text))
}

// Detect classifies text.
func Detect(text string) Result {
	d := trigram.Detect(text)
	return Result{
		Language:   d.Name,
		Code:       d.Code,
		Script:     d.Script,
		Confidence: fmt.Sprintf("%d.%04d", d.Confidence/10000, d.Confidence%10000),
		Reliable:   d.IsReliable(),
	}
}
