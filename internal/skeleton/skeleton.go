// Package skeleton renders the starter files of a new function for
// `faas-wasm new` from the faas-cli templates of a faas-wasm checkout
// (template/LANG/function, what `faas-cli new` copies), so the two commands
// share one copy of those files. The templates are written for a function
// created at the checkout's root: Rust package "handler", SDKs at ../fn and
// ../sdk/rust. Files changes exactly those spots for another place and name.
//
// The files are read from the checkout at run time, not embedded: the Go
// template's go.mod makes its folder a module of its own, which go:embed
// cannot include. It writes nothing and does not build the function.
package skeleton

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/faas-wasm/faas-wasm/internal/builder"
)

// HandlerFolder is the folder of template/LANG that faas-cli new copies
// (faas-cli's default handler_folder, which the templates keep).
const HandlerFolder = "function"

// Template values: what the templates hold for a function at the checkout's root.
const (
	templateCrate = "handler"
	templateSDK   = ".."
)

// ErrTemplate is wrapped when a template lacks a file or a spot Files
// changes: the template and this package disagree.
var ErrTemplate = errors.New("template does not have the expected form")

// Options place and name the new function.
type Options struct {
	// Crate is the Rust package name (Rust only).
	Crate string
	// SDK is the slash-separated path from the function's directory to the
	// checkout (holding fn/ and sdk/); Go and Rust only.
	SDK string
}

// edit replaces old, which must occur exactly once in file, by new.
type edit struct {
	file     string
	old, new func(Options) string
}

// edits lists, per language, every spot that depends on Options.
var edits = map[builder.Lang][]edit{
	builder.LangGo: {{
		file: "go.mod",
		old:  func(Options) string { return "=> " + path.Join(templateSDK, "fn") + "\n" },
		new:  func(o Options) string { return "=> " + path.Join(o.SDK, "fn") + "\n" },
	}},
	builder.LangRust: {{
		file: "Cargo.toml",
		old:  func(Options) string { return fmt.Sprintf("name = %q\n", templateCrate) },
		new:  func(o Options) string { return fmt.Sprintf("name = %q\n", o.Crate) },
	}, {
		file: "Cargo.toml",
		old:  func(Options) string { return fmt.Sprintf("path = %q", path.Join(templateSDK, "sdk/rust")) },
		new:  func(o Options) string { return fmt.Sprintf("path = %q", path.Join(o.SDK, "sdk/rust")) },
	}, {
		file: "src/main.rs",
		old:  func(Options) string { return rustIdent(templateCrate) + "::handle" },
		new:  func(o Options) string { return rustIdent(o.Crate) + "::handle" },
	}},
}

// rustIdent is the crate name as Rust code names it.
func rustIdent(crate string) string { return strings.ReplaceAll(crate, "-", "_") }

// Files returns the skeleton of lang read from checkout's
// template/LANG/function: slash-separated path relative to the function's
// directory → content, with the Rust package name and SDK paths of o.
//
// # Errors
//
// A missing or unreadable template folder (fs errors); ErrTemplate when a
// spot to change is not found exactly once.
func Files(checkout string, lang builder.Lang, o Options) (map[string]string, error) {
	root := filepath.Join(checkout, "template", string(lang), HandlerFolder)
	files := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("skeleton %s: %w", lang, err)
	}
	for _, e := range edits[lang] {
		content, ok := files[e.file]
		old := e.old(o)
		if !ok || strings.Count(content, old) != 1 {
			return nil, fmt.Errorf("skeleton %s: %s should hold %q once: %w", lang, e.file, old, ErrTemplate)
		}
		files[e.file] = strings.Replace(content, old, e.new(o), 1)
	}
	return files, nil
}
