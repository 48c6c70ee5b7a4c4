package skeleton

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/faas-wasm/faas-wasm/internal/builder"
)

// repoRoot is the checkout holding template/.
const repoRoot = "../.."

// languageTemplate mirrors the fields faas-cli 0.18 reads from
// template/LANG/template.yml (its stack.LanguageTemplate): deploy reads
// fprocess for every lang of a stack, new copies handler_folder (default
// "function") into ./NAME and prints welcome_message.
type languageTemplate struct {
	Language     string `yaml:"language,omitempty"`
	FProcess     string `yaml:"fprocess,omitempty"`
	BuildOptions []struct {
		Name     string   `yaml:"name"`
		Packages []string `yaml:"packages"`
	} `yaml:"build_options,omitempty"`
	WelcomeMessage string `yaml:"welcome_message,omitempty"`
	HandlerFolder  string `yaml:"handler_folder,omitempty"`
}

// TestTemplatesParseAsFaasCLI checks every faas-cli template: it exists for
// each lang the builder knows, parses as faas-cli parses it (no unknown
// keys), has no fprocess, points at faas-wasm build, and its handler folder
// is the one Files reads.
func TestTemplatesParseAsFaasCLI(t *testing.T) {
	for _, lang := range builder.Langs() {
		data, err := os.ReadFile(filepath.Join(repoRoot, "template", string(lang), "template.yml"))
		if err != nil {
			t.Fatal(err)
		}
		var lt languageTemplate
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&lt); err != nil {
			t.Fatalf("%s/template.yml: %v", lang, err)
		}
		if lt.Language != string(lang) || lt.FProcess != "" || !strings.Contains(lt.WelcomeMessage, "faas-wasm build") ||
			(lt.HandlerFolder != "" && lt.HandlerFolder != HandlerFolder) {
			t.Errorf("%s/template.yml: %+v", lang, lt)
		}
	}
}

// TestFiles renders each language at the template's own values (the files
// come back unchanged) and at another name and SDK path (exactly the
// documented spots change).
func TestFiles(t *testing.T) {
	tests := []struct {
		lang  builder.Lang
		files []string
		want  map[string]string // file → text the renamed skeleton holds
	}{
		{builder.LangGo, []string{"function/handler.go", "function/handler_test.go", "go.mod", "main.go"},
			map[string]string{"go.mod": "=> ../../faas-wasm/fn\n"}},
		{builder.LangRust, []string{".cargo/config.toml", "Cargo.toml", "src/lib.rs", "src/main.rs"},
			map[string]string{"Cargo.toml": `name = "my-fn"`, "src/main.rs": "my_fn::handle"}},
		{builder.LangC, []string{"handler.c"}, nil},
	}
	for _, tt := range tests {
		t.Run(string(tt.lang), func(t *testing.T) {
			same, err := Files(repoRoot, tt.lang, Options{Crate: templateCrate, SDK: templateSDK})
			if err != nil {
				t.Fatal(err)
			}
			if len(same) != len(tt.files) {
				t.Errorf("files %v, want %v", keys(same), tt.files)
			}
			for _, f := range tt.files {
				b, err := os.ReadFile(filepath.Join(repoRoot, "template", string(tt.lang), HandlerFolder, f))
				if err != nil || same[f] != string(b) {
					t.Errorf("%s differs from the template (%v)", f, err)
				}
			}
			other, err := Files(repoRoot, tt.lang, Options{Crate: "my-fn", SDK: "../../faas-wasm"})
			if err != nil {
				t.Fatal(err)
			}
			for f, text := range tt.want {
				if !strings.Contains(other[f], text) {
					t.Errorf("%s lacks %q:\n%s", f, text, other[f])
				}
			}
			if tt.lang == builder.LangRust && !strings.Contains(other["Cargo.toml"], `path = "../../faas-wasm/sdk/rust"`) {
				t.Errorf("Cargo.toml SDK path:\n%s", other["Cargo.toml"])
			}
		})
	}
}

// TestFilesTemplateChanged: a template without a spot to change, or no
// template at all, is an error, never a half-rendered skeleton.
func TestFilesTemplateChanged(t *testing.T) {
	dir := t.TempDir()
	folder := filepath.Join(dir, "template", string(builder.LangGo), HandlerFolder)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(folder, "go.mod"), []byte("module handler\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Files(dir, builder.LangGo, Options{SDK: ".."}); !errors.Is(err, ErrTemplate) {
		t.Errorf("go.mod without replace: err = %v, want ErrTemplate", err)
	}
	if _, err := Files(dir, builder.LangRust, Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("no rust template: err = %v, want ErrNotExist", err)
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
