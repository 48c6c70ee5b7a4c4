package function

import (
	"net/http/httptest"
	"testing"
)

func TestHandle(t *testing.T) {
	w := httptest.NewRecorder()
	Handle(w, httptest.NewRequest("GET", "/?name=faas", nil))
	if got := w.Body.String(); got != "Hello, faas!\n" {
		t.Fatalf("body %q", got)
	}
}
