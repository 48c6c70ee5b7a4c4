package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/faas-wasm/faas-wasm/internal/builder"
	"github.com/faas-wasm/faas-wasm/internal/skeleton"
)

const newUsage = `Usage: faas-wasm new NAME --lang go|rust|c [--append STACK.yml] [--sdk CHECKOUT] [--prefix REGISTRY]

Writes a working function skeleton into ./NAME and its two stack entries — NAME
(container image) and NAME-wasm (Wasm image, com.openfaas.runtime: wasm) — into
NAME.yml, or appends them to the stack file given with --append (the faas-cli new
habit). Then: faas-wasm build -f NAME.yml

  go    main.go + function/handler.go using the fn SDK (lang go-faaswasm)
  rust  Cargo.toml + src/main.rs + src/lib.rs using the faas-wasm-fn crate (lang rust-faaswasm)
  c     handler.c using faaswasm.h (lang c-faaswasm)

The files come from the faas-cli templates of a faas-wasm checkout
(template/LANG/function, what faas-cli new copies; the checkout is found above the
working directory, or given with --sdk); Go and Rust skeletons refer to its SDKs
by relative path.

Flags:
`

// errNewUsage is wrapped by the new verb's errors for bad arguments.
var errNewUsage = errors.New("usage")

// validName is faas-cli's rule for function names (RFC 1123 labels).
var validName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// newFlags are the new verb's parsed arguments.
type newFlags struct {
	name, appendTo, sdk, prefix, gateway string
	lang                                 builder.Lang
}

// parseNewFlags parses `new NAME --lang L ...`; NAME may come before or
// after the flags.
//
// # Errors
//
// flag.ErrHelp, or errNewUsage wrapped with what is wrong.
func parseNewFlags(args []string, out io.Writer) (newFlags, error) {
	var c newFlags
	fs := flag.NewFlagSet("new", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), newUsage)
		fs.PrintDefaults()
	}
	lang := fs.String("lang", "", "go, rust or c (or go-faaswasm, rust-faaswasm, c-faaswasm)")
	fs.StringVar(&c.appendTo, "append", "", "append the entries to this stack file instead of writing NAME.yml")
	fs.StringVar(&c.sdk, "sdk", "", "faas-wasm checkout holding fn/, sdk/ and template/ (default: found above the working directory)")
	fs.StringVar(&c.prefix, "prefix", "${REGISTRY:-127.0.0.1:5000}", "image prefix (registry[/path])")
	fs.StringVar(&c.gateway, "gateway", "${OPENFAAS_URL:-http://127.0.0.1:8080}", "gateway written into a new stack file")
	var rest []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return c, err
			}
			return c, fmt.Errorf("new: %w: %v", errNewUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(rest) != 1 {
		return c, fmt.Errorf("new: %w: want one function name, got %q", errNewUsage, rest)
	}
	c.name = rest[0]
	if !validName.MatchString(c.name) {
		return c, fmt.Errorf("new: %w: function name %q: only a-z, 0-9 and dashes, starting and ending with a letter or digit", errNewUsage, c.name)
	}
	switch strings.ToLower(*lang) {
	case "go", string(builder.LangGo):
		c.lang = builder.LangGo
	case "rust", string(builder.LangRust):
		c.lang = builder.LangRust
	case "c", string(builder.LangC):
		c.lang = builder.LangC
	default:
		return c, fmt.Errorf("new: %w: --lang %q: want go, rust or c", errNewUsage, *lang)
	}
	return c, nil
}

// runNew runs the new verb: it writes ./NAME and the stack entries and
// prints what it did.
//
// # Errors
//
// flag.ErrHelp, errNewUsage for bad arguments, an existing ./NAME or
// NAME.yml, a name the stack already has, no checkout found; a template
// of another form (skeleton.ErrTemplate); file errors.
func runNew(args []string, stdout io.Writer) error {
	c, err := parseNewFlags(args, stdout)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(c.name)
	if err != nil {
		return fmt.Errorf("new: %w", err)
	}
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("new: %w: %s already exists", errNewUsage, c.name)
	}
	stackFile, fresh := c.appendTo, c.appendTo == ""
	if fresh {
		stackFile = c.name + ".yml"
		if _, err := os.Stat(stackFile); err == nil {
			return fmt.Errorf("new: %w: %s already exists (use --append)", errNewUsage, stackFile)
		}
	}
	checkout, err := findCheckout(c.sdk)
	if err != nil {
		return fmt.Errorf("new: %w", err)
	}
	opts := skeleton.Options{Crate: c.name}
	if c.name[0] >= '0' && c.name[0] <= '9' {
		opts.Crate = "fn-" + c.name // a Cargo package name starts with a letter
	}
	if opts.SDK, err = filepath.Rel(dir, checkout); err != nil {
		return fmt.Errorf("new: %w", err)
	}
	opts.SDK = filepath.ToSlash(opts.SDK)
	files, err := skeleton.Files(checkout, c.lang, opts)
	if err != nil {
		return fmt.Errorf("new: %w", err)
	}
	entries, err := stackEntries(c, stackFile, dir)
	if err != nil {
		return err
	}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		f := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			return fmt.Errorf("new: %w", err)
		}
		if err := os.WriteFile(f, []byte(files[p]), 0o644); err != nil {
			return fmt.Errorf("new: %w", err)
		}
	}
	if err := os.WriteFile(stackFile, entries, 0o644); err != nil {
		return fmt.Errorf("new: %w", err)
	}
	fmt.Fprintf(stdout, "Function created in folder: %s (%s)\nStack file %s: %s (%s, %s-wasm)\nBuild both images: faas-wasm build -f %s --only %s,%s-wasm\n",
		c.name, c.lang, map[bool]string{true: "written", false: "updated"}[fresh], stackFile, c.name, c.name, stackFile, c.name, c.name)
	return nil
}

// stackEntries returns the stack file's new content: a new stack with the
// two entries, or the existing one with them appended, checked by parsing.
func stackEntries(c newFlags, stackFile, dir string) ([]byte, error) {
	base, err := filepath.Abs(filepath.Dir(stackFile))
	if err != nil {
		return nil, fmt.Errorf("new: %w", err)
	}
	handler, err := filepath.Rel(base, dir)
	if err != nil {
		return nil, fmt.Errorf("new: %w", err)
	}
	handler = "./" + filepath.ToSlash(handler)
	prefix := strings.TrimSuffix(c.prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	entries := fmt.Sprintf(`
  %[1]s:
    lang: %[2]s
    handler: %[3]s
    image: %[4]s%[1]s:latest

  %[1]s-wasm:
    lang: %[2]s
    handler: %[3]s
    image: %[4]s%[1]s-wasm:latest
    annotations:
      com.openfaas.runtime: wasm
`, c.name, c.lang, handler, prefix)
	var content []byte
	if c.appendTo == "" {
		content = []byte(fmt.Sprintf("version: 1.0\nprovider:\n  name: openfaas\n  gateway: %s\n\nfunctions:%s", c.gateway, entries))
	} else {
		old, err := os.ReadFile(stackFile)
		if err != nil {
			return nil, fmt.Errorf("new: %w", err)
		}
		before, err := builder.ParseStack(old, os.LookupEnv)
		if err != nil {
			return nil, fmt.Errorf("new: %w", err)
		}
		for _, n := range []string{c.name, c.name + "-wasm"} {
			if _, ok := before.Functions[n]; ok {
				return nil, fmt.Errorf("new: %w: %s already has a function %s", errNewUsage, stackFile, n)
			}
		}
		if len(old) > 0 && old[len(old)-1] != '\n' {
			old = append(old, '\n')
		}
		content = append(old, entries...)
	}
	after, err := builder.ParseStack(content, os.LookupEnv)
	if err != nil {
		return nil, fmt.Errorf("new: %s with the new entries: %w", stackFile, err)
	}
	if _, ok := after.Functions[c.name+"-wasm"]; !ok {
		return nil, fmt.Errorf("new: %w: appending to %s does not add to its functions (is functions: its last section?)", errNewUsage, stackFile)
	}
	return content, nil
}

// findCheckout returns the absolute path of the faas-wasm checkout: given,
// or the first parent of the working directory holding fn/go.mod,
// sdk/rust/Cargo.toml and template/.
func findCheckout(given string) (string, error) {
	root := given
	if root == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		for d := wd; ; d = filepath.Dir(d) {
			if isCheckout(d) {
				root = d
				break
			}
			if filepath.Dir(d) == d {
				return "", fmt.Errorf("%w: no faas-wasm checkout (fn/, sdk/rust/, template/) above %s: give --sdk", errNewUsage, wd)
			}
		}
	} else if !isCheckout(root) {
		return "", fmt.Errorf("%w: --sdk %s holds no fn/go.mod, sdk/rust/Cargo.toml and template/", errNewUsage, root)
	}
	return filepath.Abs(root)
}

func isCheckout(dir string) bool {
	for _, f := range []string{"fn/go.mod", "sdk/rust/Cargo.toml", "template"} {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f))); err != nil {
			return false
		}
	}
	return true
}
