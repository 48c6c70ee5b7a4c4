package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/faas-wasm/faas-wasm/internal/builder"
)

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

// TestTemplatesMatchSkeletons checks every faas-cli template: it exists for
// each lang the builder knows, parses as faas-cli parses it (no unknown
// keys), and its handler folder holds exactly the files faas-wasm new
// writes, rendered for a function created at the checkout's root (SDKs at
// ../fn and ../sdk, Rust package "handler").
func TestTemplatesMatchSkeletons(t *testing.T) {
	for _, lang := range builder.Langs() {
		t.Run(string(lang), func(t *testing.T) {
			dir := filepath.Join(repoRoot, "template", string(lang))
			data, err := os.ReadFile(filepath.Join(dir, "template.yml"))
			if err != nil {
				t.Fatal(err)
			}
			var lt languageTemplate
			dec := yaml.NewDecoder(bytes.NewReader(data))
			dec.KnownFields(true)
			if err := dec.Decode(&lt); err != nil {
				t.Fatalf("template.yml: %v", err)
			}
			if lt.Language != string(lang) || lt.FProcess != "" || !strings.Contains(lt.WelcomeMessage, "faas-wasm build") {
				t.Errorf("template.yml: %+v", lt)
			}
			folder := lt.HandlerFolder
			if folder == "" {
				folder = "function"
			}
			want := skeleton{Lang: lang, Crate: "handler", SDK: ".."}.files()
			root := filepath.Join(dir, folder)
			if os.Getenv("FAASWASM_WRITE_TEMPLATES") != "" {
				writeTemplateFiles(t, root, want)
			}
			got := map[string]string{}
			err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(p)
				rel, _ := filepath.Rel(root, p)
				got[filepath.ToSlash(rel)] = string(b)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for p, content := range want {
				if got[p] != content {
					t.Errorf("%s/%s differs from what faas-wasm new writes (FAASWASM_WRITE_TEMPLATES=1 go test -run TestTemplates rewrites it)", folder, p)
				}
			}
			for p := range got {
				if _, ok := want[p]; !ok {
					t.Errorf("%s/%s: not part of the skeleton", folder, p)
				}
			}
		})
	}
}

// writeTemplateFiles replaces the template's handler folder with files.
func writeTemplateFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	for p, content := range files {
		f := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("wrote %d files under %s", len(files), root)
}
