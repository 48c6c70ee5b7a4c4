// Package function is the study's whatlang function: natural-language
// detection of a text with whatlanggo, the Go port of the Rust whatlang
// library the study used.
//
// Query: text (the sentence to classify). When text is absent the request
// body is classified instead (at most 1 MiB).
package function

import (
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/abadojack/whatlanggo"

	"github.com/faas-wasm/faas-wasm/functions/internal/params"
)

// maxBody bounds the text read from a request body.
const maxBody = 1 << 20

// Result is the answer of Handle.
type Result struct {
	Language   string `json:"language"`
	Code       string `json:"code"`
	Script     string `json:"script"`
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
	info := whatlanggo.Detect(text)
	return Result{
		Language:   info.Lang.String(),
		Code:       info.Lang.Iso6393(),
		Script:     whatlanggo.Scripts[info.Script],
		Confidence: strconv.FormatFloat(info.Confidence, 'f', 4, 64),
		Reliable:   info.IsReliable(),
	}
}
