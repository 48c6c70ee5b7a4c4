package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/builder"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
)

func TestNewFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want error
		lang builder.Lang
	}{
		{"name first", []string{"hello", "--lang", "rust"}, nil, builder.LangRust},
		{"name last", []string{"--lang", "c-faaswasm", "hello"}, nil, builder.LangC},
		{"go", []string{"--lang=go", "--append", "s.yml", "hello"}, nil, builder.LangGo},
		{"no lang", []string{"hello"}, errNewUsage, ""},
		{"bad lang", []string{"hello", "--lang", "cobol"}, errNewUsage, ""},
		{"bad name", []string{"Hello_World", "--lang", "go"}, errNewUsage, ""},
		{"two names", []string{"a", "b", "--lang", "go"}, errNewUsage, ""},
		{"help", []string{"--help"}, flag.ErrHelp, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseNewFlags(tt.args, new(bytes.Buffer))
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err == nil && (c.lang != tt.lang || c.name != "hello") {
				t.Errorf("flags %+v", c)
			}
		})
	}
}

// TestNewThenBuild runs `new` for each language in a fresh directory, then
// `build` on the stack file it wrote: both images build, and the Wasm module
// answers through internal/runtime/wasm. The second function is appended to
// the first one's stack with --append.
func TestNewThenBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles Go, Rust and C programs")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	t.Cleanup(cancel)
	repo, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	t.Chdir(work)
	engine, err := wasm.NewEngine(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = engine.Close() })
	tests := []struct{ name, lang string }{
		{"hello-go", "go"},
		{"hello-rs", "rust"},
		{"hello-c", "c"},
	}
	for i, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			args := []string{tt.name, "--lang", tt.lang, "--sdk", repo}
			stackFile := "hello-go.yml"
			if i > 0 {
				args = append(args, "--append", stackFile)
			}
			var out bytes.Buffer
			if err := runNew(args, &out); err != nil {
				t.Fatalf("new: %v\n%s", err, out.String())
			}
			if err := runNew(args, &out); err == nil {
				t.Fatal("new over an existing function succeeded")
			}
			outDir := filepath.Join(work, "out")
			buildArgs := []string{"-f", stackFile, "--only", tt.name + "," + tt.name + "-wasm", "--out", outDir, "--quiet", "--no-snapshot", "--c-sdk", filepath.Join(repo, "sdk", "c")}
			out.Reset()
			if err := runBuild(ctx, buildArgs, &out, &out); err != nil {
				t.Fatalf("build: %v\n%s", err, out.String())
			}
			t.Logf("%s", out.String())
			bin, err := os.ReadFile(filepath.Join(outDir, tt.name, "function"))
			if err != nil || !bytes.HasPrefix(bin, []byte("\x7fELF")) {
				t.Fatalf("container binary: %v", err)
			}
			module, err := os.ReadFile(filepath.Join(outDir, tt.name+"-wasm", "function.wasm"))
			if err != nil {
				t.Fatal(err)
			}
			m, err := engine.Compile(ctx, module)
			if err != nil {
				t.Fatal(err)
			}
			f, err := engine.NewFunction(m, wasm.Config{Name: tt.name})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			resp, err := f.Invoke(ctx, &wasm.Request{Method: http.MethodGet, Path: "/", RawQuery: "name=" + tt.lang, Host: "gateway"})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != http.StatusOK || string(resp.Body) != "Hello, "+tt.lang+"!\n" {
				t.Fatalf("status %d body %q", resp.Status, resp.Body)
			}
		})
	}
	s, err := builder.LoadStack(filepath.Join(work, "hello-go.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Names(), ","); got != "hello-c,hello-c-wasm,hello-go,hello-go-wasm,hello-rs,hello-rs-wasm" {
		t.Errorf("stack functions %s", got)
	}
}
