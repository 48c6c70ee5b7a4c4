package function

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/handlertest"
)

func TestHandle(t *testing.T) {
	tests := []struct {
		name       string
		text       string
		body       string
		wantStatus int
		wantCode   string
	}{
		{"study input", "The quick brown fox jumps over the lazy dog", "", 200, "eng"},
		{"german", "Ich bin ein Berliner und das ist sehr schön hier in der Stadt", "", 200, "deu"},
		{"spanish body", "", "El rápido zorro marrón salta sobre el perro perezoso en el campo", 200, "spa"},
		{"japanese", "こんにちは、お元気ですか。今日はとてもいい天気ですね", "", 200, "jpn"},
		{"empty", "", "", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := "/"
			if tt.text != "" {
				target += "?text=" + url.QueryEscape(tt.text)
			}
			rec := handlertest.Do(t, Handle, httptest.NewRequest(http.MethodPost, target, strings.NewReader(tt.body)), tt.wantStatus)
			if tt.wantStatus != 200 {
				return
			}
			res := handlertest.Decode[Result](t, rec)
			if res.Code != tt.wantCode {
				t.Errorf("result %+v, want code %s", res, tt.wantCode)
			}
		})
	}
}
