package hacktest

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// root is the repository root, from this package's directory.
const root = "../.."

// notChecked are the only files the reference check skips, each with its
// reason. Keep it short: fix a stale reference rather than list it here.
// HACKTEST_ALL=1 checks them too (to see what is left in them).
var notChecked = map[string]string{}

// skipDirs are never walked: generated, vendored or not ours.
var skipDirs = map[string]bool{".git": true, "node_modules": true, "target": true, "testdata": true, "bin": true}

// prefixes are the top-level names a path reference starts with: today's
// folders, and those the layout change retired (a reference to them is
// stale by definition).
var prefixes = []string{
	".ci", "chart", "cmd", "docs", "fn", "functions", "hack", "internal", "provider", "sdk", "test", "template",
	"autoscale", "bench", "builder", "charttest", "handlers", "k8s", "local", "metrics", "oci", "runtime", "shim",
}

// pathRef matches a path reference: a known top-level name, optionally after
// ./, followed by at least one more segment, not inside a longer word, URL
// or module path.
var pathRef = regexp.MustCompile(`(?:^|[^A-Za-z0-9_./~$=-])((?:\./)?(?:` + strings.Join(quoteAll(prefixes), "|") + `)/[A-Za-z0-9_.@+-][A-Za-z0-9_./@+-]*)`)

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = regexp.QuoteMeta(s)
	}
	return out
}

// scanned tells whether a file's references are checked: scripts, the
// Makefile, CI, Markdown, YAML, and Go sources under hack/ (their comments
// and usage strings name scripts and tools; tests are left out, their
// fixtures name paths on purpose).
func scanned(rel string) bool {
	base := filepath.Base(rel)
	switch {
	case base == "Makefile", rel == ".ci/run":
		return true
	case strings.HasSuffix(base, ".sh"), strings.HasSuffix(base, ".md"),
		strings.HasSuffix(base, ".yaml"), strings.HasSuffix(base, ".yml"), strings.HasSuffix(base, ".tpl"):
		return true
	case strings.HasSuffix(base, ".go"):
		return strings.HasPrefix(rel, "hack/") && !strings.HasSuffix(base, "_test.go")
	}
	return false
}

// refs returns the path references in text.
func refs(text string) []string {
	var out []string
	for _, m := range pathRef.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	return out
}

// placeholder matches a path segment written in capitals (functions/go/NAME,
// template/LANG/template.yml): a pattern for readers, not a file.
var placeholder = regexp.MustCompile(`(^|/)[A-Z][A-Z_]+(/|$)`)

// clean turns a reference into the path to look up, or "" when it is not a
// literal path (a glob, a variable, a placeholder).
func clean(ref string) string {
	if strings.ContainsAny(ref, "*$<>{}") || placeholder.MatchString(ref) {
		return ""
	}
	ref = strings.TrimSuffix(ref, "/...")
	ref = strings.TrimRight(ref, ".,:;)")
	ref = strings.TrimSuffix(ref, "/")
	if i := strings.IndexByte(ref, '@'); i >= 0 { // pkg@version
		ref = ref[:i]
	}
	return strings.TrimPrefix(ref, "./")
}

// exists tells whether ref names a file or folder relative to the
// repository root or to the referring file's folder (scripts that cd
// there, READMEs naming their neighbours).
func exists(ref, fromDir string) bool {
	for _, base := range []string{root, filepath.Join(root, fromDir)} {
		if _, err := os.Stat(filepath.Join(base, ref)); err == nil {
			return true
		}
	}
	return false
}

func TestReferencedPathsExist(t *testing.T) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if skipDirs[d.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		if _, skip := notChecked[rel]; (!skip || os.Getenv("HACKTEST_ALL") == "1") && scanned(rel) {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("scanned only %d files: is the walk rooted at the repository?", len(files))
	}
	stale := map[string][]string{}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			for _, r := range refs(line) {
				p := clean(r)
				if p != "" && !exists(p, filepath.Dir(f)) {
					stale[f] = append(stale[f], r+" (line "+strconv.Itoa(i+1)+")")
				}
			}
		}
	}
	var names []string
	for f := range stale {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		t.Errorf("%s names paths that do not exist: %s", f, strings.Join(stale[f], ", "))
	}
}

// TestPathRef pins what counts as a reference.
func TestPathRef(t *testing.T) {
	for text, want := range map[string]string{
		"run ./hack/e2e.sh now":                       "./hack/e2e.sh",
		"`hack/cluster/up.sh`":                        "hack/cluster/up.sh",
		"go test ./internal/shim/...":                 "./internal/shim/...",
		"see (docs/abi.md).":                          "docs/abi.md",
		"LOG_PREFIX=shim/e2e":                         "",
		"github.com/faas-wasm/faas-wasm/internal/oci": "",
		"k8s.io/kubernetes/cmd/kubelet":               "",
		"https://example.com/hack/x":                  "",
		"$STATE_DIR/config/kubelet.yaml":              "",
		"the shim/ folder":                            "",
		"~/hack/x":                                    "",
		"charttest/render.go moved":                   "charttest/render.go",
	} {
		got := strings.Join(refs(text), " ")
		if got != want {
			t.Errorf("refs(%q) = %q, want %q", text, got, want)
		}
	}
	for ref, want := range map[string]string{
		"./hack/image/...": "hack/image", "docs/abi.md).": "docs/abi.md", "hack/cluster/": "hack/cluster",
		"hack/x/*.toml": "", "cmd/foo@latest": "cmd/foo", "./functions/go/NAME": "", "template/LANG/template.yml": "",
		"docs/README.md": "docs/README.md",
	} {
		if got := clean(ref); got != want {
			t.Errorf("clean(%q) = %q, want %q", ref, got, want)
		}
	}
}
