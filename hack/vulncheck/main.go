// Command vulncheck audits the module's dependencies for known
// vulnerabilities without reaching anything but the Go module proxy: it
// builds the Go vulnerability database from the golang.org/x/vulndb module
// (its OSV files, indexed by that module's own indexdb command; cached
// outside the repository), runs govulncheck against it and applies the
// project's policy:
//
//   - a vulnerability our code reaches in a module that has a fixed
//     version fails the audit (upgrade the module);
//   - one in the standard library is reported as needing a newer Go
//     toolchain (the machine's Go is fixed), and one with no fix released
//     is reported; neither fails the audit unless -strict is given.
//
// Usage (from the repository root; `make vulncheck` runs it):
//
//	go run ./hack/vulncheck [-strict] [-cache DIR] [-C MODULE_DIR] [packages]
//
// make vulncheck audits the provider's module and, with -C, the shipped
// modules beside it (fn, the SDK; functions, the demo functions and their
// services). It does not audit hack/k8s-tools and test/chart: they build
// test tools and are not shipped.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Pinned tool and database versions: the database is as of its module's date.
const (
	vulndbVersion = "v0.0.0-20261105234957-e22db6528018"
	vulnVersion   = "v1.9.0"
)

func main() {
	strict := flag.Bool("strict", false, "also fail on standard-library vulnerabilities and on those without a fix")
	cache := flag.String("cache", defaultCache(), "directory of the built database")
	dir := flag.String("C", "", "audit the module in this directory (default: the current one)")
	flag.Parse()
	pkgs := flag.Args()
	if len(pkgs) == 0 {
		pkgs = []string{"./..."}
	}
	ctx := context.Background()
	db, err := database(ctx, *cache)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(2)
	}
	out, err := govulncheck(ctx, db, *dir, pkgs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(2)
	}
	findings, err := ParseFindings(out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(2)
	}
	report := Classify(findings)
	if *dir != "" {
		fmt.Printf("module in %s:\n", *dir)
	}
	report.Write(os.Stdout, vulndbVersion)
	if report.Fails(*strict) {
		os.Exit(1)
	}
}

func defaultCache() string {
	if dir := os.Getenv("FAAS_WASM_CACHE_HOME"); dir != "" {
		return filepath.Join(dir, "vulndb-"+vulndbVersion)
	}
	home, err := os.UserCacheDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, "faas-wasm", "vulndb-"+vulndbVersion)
}

// database returns the file:// URL of the built database, building it into
// dir first when it is not there.
func database(ctx context.Context, dir string) (string, error) {
	url := "file://" + dir
	if _, err := os.Stat(filepath.Join(dir, "index", "db.json")); err == nil {
		return url, nil
	}
	var mod struct{ Dir string }
	out, err := goCmd(ctx, "mod", "download", "-json", "golang.org/x/vulndb@"+vulndbVersion)
	if err != nil {
		return "", fmt.Errorf("download the vulnerability data: %w", err)
	}
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return "", fmt.Errorf("download the vulnerability data: unexpected answer %q", out)
	}
	tmp := dir + ".tmp"
	os.RemoveAll(tmp)
	if _, err := goCmd(ctx, "run", "golang.org/x/vulndb/cmd/indexdb@"+vulndbVersion,
		"-vulns", filepath.Join(mod.Dir, "data", "osv"), "-out", tmp); err != nil {
		return "", fmt.Errorf("index the vulnerability data: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", fmt.Errorf("index the vulnerability data: %w", err)
	}
	return url, nil
}

// govulncheck runs the scanner and returns its JSON stream. Exit status 3
// (vulnerabilities found) is not an error here: the policy decides.
func govulncheck(ctx context.Context, db, dir string, pkgs []string) ([]byte, error) {
	args := []string{"run", "golang.org/x/vuln/cmd/govulncheck@" + vulnVersion, "-db", db, "-format", "json"}
	if dir != "" {
		args = append(args, "-C", dir)
	}
	args = append(args, pkgs...)
	out, err := goCmd(ctx, args...)
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 3 {
		return out, nil
	}
	return out, err
}

func goCmd(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("go %s: %w\n%s", strings.Join(args[:min(2, len(args))], " "), err, tail(stderr.String(), 20))
	}
	return out, nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// Finding is one vulnerability govulncheck found reachable from our code.
type Finding struct {
	// ID is the OSV identifier (GO-YYYY-NNNN).
	ID string
	// Module and Version are where it is; Module is "stdlib" for Go itself.
	Module, Version string
	// Fixed is the first fixed version ("" when none is released).
	Fixed string
	// Summary is the advisory's one-line summary.
	Summary string
}

// message is one object of govulncheck's JSON stream (the parts we read).
type message struct {
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *struct {
		OSV   string `json:"osv"`
		Fixed string `json:"fixed_version"`
		Trace []struct {
			Module   string `json:"module"`
			Version  string `json:"version"`
			Function string `json:"function"`
		} `json:"trace"`
	} `json:"finding"`
}

// ParseFindings reads govulncheck's JSON stream and returns the
// vulnerabilities our code calls (symbol-level findings), one per ID.
//
// # Errors
//
// A stream that is not a sequence of JSON objects.
func ParseFindings(stream []byte) ([]Finding, error) {
	dec := json.NewDecoder(strings.NewReader(string(stream)))
	summaries := map[string]string{}
	byID := map[string]Finding{}
	for {
		var m message
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("govulncheck output: %w", err)
		}
		if m.OSV != nil {
			summaries[m.OSV.ID] = m.OSV.Summary
		}
		f := m.Finding
		if f == nil || len(f.Trace) == 0 || f.Trace[0].Function == "" {
			continue // module- or package-level only: our code does not call it
		}
		byID[f.OSV] = Finding{ID: f.OSV, Module: f.Trace[0].Module, Version: f.Trace[0].Version, Fixed: f.Fixed}
	}
	out := make([]Finding, 0, len(byID))
	for _, f := range byID {
		f.Summary = summaries[f.ID]
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Report sorts findings by what can be done about them.
type Report struct {
	// Upgrade: a module with a fixed version.
	Upgrade []Finding
	// Toolchain: the standard library, fixed in a newer Go.
	Toolchain []Finding
	// NoFix: no fixed version released.
	NoFix []Finding
}

// Classify sorts findings into a Report.
func Classify(findings []Finding) Report {
	var r Report
	for _, f := range findings {
		switch {
		case f.Fixed == "":
			r.NoFix = append(r.NoFix, f)
		case f.Module == "stdlib":
			r.Toolchain = append(r.Toolchain, f)
		default:
			r.Upgrade = append(r.Upgrade, f)
		}
	}
	return r
}

// Fails reports whether the audit fails under the policy.
func (r Report) Fails(strict bool) bool {
	return len(r.Upgrade) > 0 || (strict && len(r.Toolchain)+len(r.NoFix) > 0)
}

// Write prints the report.
func (r Report) Write(w io.Writer, db string) {
	fmt.Fprintf(w, "vulncheck: Go vulnerability database %s, govulncheck %s\n", db, vulnVersion)
	section := func(title string, fs []Finding) {
		fmt.Fprintf(w, "%s: %d\n", title, len(fs))
		for _, f := range fs {
			fixed := f.Fixed
			if fixed == "" {
				fixed = "none"
			}
			fmt.Fprintf(w, "  %s  %s@%s  fixed: %s  %s\n", f.ID, f.Module, f.Version, fixed, f.Summary)
		}
	}
	section("FAIL — reached, fixed in a newer module version (upgrade it)", r.Upgrade)
	section("reached, in the standard library (fixed in a newer Go toolchain)", r.Toolchain)
	section("reached, no fix released", r.NoFix)
}
