package trigram

import (
	"fmt"
	"os"
	"strings"
)

// HeldOutMarker separates, in a corpus file, the sentences a profile is
// learnt from and the held-out sentences the accuracy tests use.
const HeldOutMarker = "--- held-out ---"

// ReadCorpus reads a corpus file: one sentence a line, '#' lines are
// comments, the lines before HeldOutMarker train and the lines after it are
// held out.
func ReadCorpus(path string) (train, heldOut []string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("corpus: %w", err)
	}
	dst := &train
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case line == HeldOutMarker:
			dst = &heldOut
		case line == "" || strings.HasPrefix(line, "#"):
		default:
			*dst = append(*dst, line)
		}
	}
	return train, heldOut, nil
}
