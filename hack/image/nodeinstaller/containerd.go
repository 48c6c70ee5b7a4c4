package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// runtimeType is the containerd runtime v2 type of the faas-wasm shim.
const runtimeType = "io.containerd.faaswasm.v1"

// marker starts the comment the installer writes above its table; a table of
// the runtime in another version's syntax under such a comment is one an
// earlier installer put there, and is removed (containerd 2.x ignores a
// version 2 table in a version 3 file, so the runtime would be missing).
const marker = "# Added by the faas-wasm node installer"

// criPlugin is the plugin holding the CRI runtimes in each containerd
// configuration version: 1 (containerd 1.x, no version line), 2 (containerd
// 1.x; containerd 2.x converts it on load) and 3 (containerd 2.x), see
// https://github.com/containerd/containerd/blob/main/docs/cri/config.md.
var criPlugin = map[int]string{
	1: "cri",
	2: "io.containerd.grpc.v1.cri",
	3: "io.containerd.cri.v1.runtime",
}

// runtimePath is the key path of the runtime's table in a configuration of
// the given version.
func runtimePath(version int, name string) []string {
	return []string{"plugins", criPlugin[version], "containerd", "runtimes", name}
}

// tableHeader writes the runtime's table header in a configuration of the
// given version.
func tableHeader(version int, name string) string {
	plugin := criPlugin[version]
	if strings.Contains(plugin, ".") {
		plugin = strconv.Quote(plugin)
	}
	return "[plugins." + plugin + ".containerd.runtimes." + name + "]"
}

// runtimeKeys are the keys the installer sets in the runtime's table, in
// order, with their values.
var runtimeKeys = []struct{ key, value string }{
	{"runtime_type", strconv.Quote(runtimeType)},
	{"pod_annotations", `["com.openfaas.wasm.*"]`},
	{"container_annotations", `["com.openfaas.wasm.*"]`},
}

// Table is the runtime's table in the syntax of a containerd configuration
// of the given version (1, 2 or 3).
func Table(version int, name string) string {
	var b strings.Builder
	b.WriteString(tableHeader(version, name) + "\n")
	for _, kv := range runtimeKeys {
		b.WriteString("  " + kv.key + " = " + kv.value + "\n")
	}
	return b.String()
}

// ConfigVersion returns the top-level `version` of a containerd
// configuration, 0 when it has none.
//
// # Errors
// A document the scanner cannot read, or a version other than 1, 2 or 3.
func ConfigVersion(doc string) (int, error) {
	stmts, err := scanTOML(doc)
	if err != nil {
		return 0, err
	}
	for _, s := range stmts {
		if s.header {
			break
		}
		if samePath(s.path, []string{"version"}) {
			v, err := strconv.Atoi(s.value)
			if err != nil || criPlugin[v] == "" {
				return 0, fmt.Errorf("config version %q: want 1, 2 or 3", s.value)
			}
			return v, nil
		}
	}
	return 0, nil
}

// hasContent tells whether a document holds anything but blanks and comments.
func hasContent(doc string) bool {
	for _, l := range strings.Split(doc, "\n") {
		if s := strings.TrimSpace(l); s != "" && s[0] != '#' {
			return true
		}
	}
	return false
}

// ChooseVersion picks the configuration syntax to write: the document's own
// `version` line when it has one (a different explicit want is an error).
// An empty document (or none) gets want when set, else version 3 for
// containerd 2.x and version 2 otherwise (containerdMajor is the node's
// containerd major version, 0 when unknown; containerd 2.x also reads
// version 2). A document with content but no version line is version 1 to
// containerd 1.x; the installer refuses it for containerd 2.x, which dropped
// version 1, and when want asks for another version (it will not guess).
//
// # Errors
// An unreadable document, a conflict between want and the document, an
// unsupported want, and the unversioned cases above.
func ChooseVersion(doc string, want, containerdMajor int) (int, error) {
	if want != 0 && criPlugin[want] == "" {
		return 0, fmt.Errorf("config version %d: want 1, 2 or 3", want)
	}
	have, err := ConfigVersion(doc)
	if err != nil {
		return 0, err
	}
	switch {
	case have != 0 && want != 0 && have != want:
		return 0, fmt.Errorf("the configuration is version %d, not %d", have, want)
	case have != 0:
		return have, nil
	case !hasContent(doc) && want != 0:
		return want, nil
	case !hasContent(doc) && containerdMajor >= 2:
		return 3, nil
	case !hasContent(doc):
		return 2, nil
	case want == 1:
		return 1, nil
	case want > 1:
		return 0, fmt.Errorf("the configuration has no version line (version 1 syntax), not version %d", want)
	case containerdMajor >= 2:
		return 0, fmt.Errorf("the configuration has no version line and containerd is %d.x: add `version = 3` (or 2) to it", containerdMajor)
	default:
		return 1, nil
	}
}

// Register returns the containerd configuration doc, in the syntax of the
// given version, with the runtime name registered for the faas-wasm shim,
// and whether anything changed. It edits only the lines it owns:
//   - no table for the runtime: the table is appended (an empty document
//     gets a `version` line first, for versions 2 and 3);
//   - a [table] for the runtime: runtime_type and the annotation lists are
//     set in it (other keys and its sub-tables are kept);
//   - a table for the runtime in another version's syntax under the
//     installer's own comment: removed (left by an earlier installer).
//
// Running it again on its output changes nothing. It warns (second result)
// when the configuration disables the CRI plugin.
//
// # Errors
// An unreadable document, and a runtime (or one of its parent tables)
// defined with dotted keys or an inline table, which it does not edit.
func Register(doc string, version int, name string) (string, []string, bool, error) {
	if criPlugin[version] == "" {
		return "", nil, false, fmt.Errorf("config version %d: want 1, 2 or 3", version)
	}
	stmts, err := scanTOML(doc)
	if err != nil {
		return "", nil, false, fmt.Errorf("read the configuration: %w", err)
	}
	var warnings []string
	want := runtimePath(version, name)
	lines := strings.Split(doc, "\n")
	// edits replace line ranges [from, to) with text lines; applied last to
	// first so that earlier line numbers stay valid.
	type edit struct {
		from, to int
		with     []string
	}
	var edits []edit
	found := -1
	for si, s := range stmts {
		switch {
		case !s.header && samePath(s.path, []string{"disabled_plugins"}) && disablesCRI(s.value):
			warnings = append(warnings, "the configuration disables the CRI plugin (disabled_plugins): Kubernetes cannot use this containerd")
		case s.header && !s.array && samePath(s.path, want):
			if found >= 0 {
				return "", nil, false, fmt.Errorf("line %d: table %s defined twice", s.first+1, tableHeader(version, name))
			}
			found = si
		case !s.header && (hasPrefix(s.path, want) || hasPrefix(want, s.path)) && !hasPrefix(tableOf(stmts, si), want):
			return "", nil, false, fmt.Errorf("line %d: runtime %s is defined with dotted keys or an inline table; register it by hand", s.first+1, name)
		}
	}
	// Tables of this runtime in another version's syntax that an earlier
	// installer wrote: drop them with their sub-tables and the comment.
	for v := range criPlugin {
		if v == version {
			continue
		}
		other := runtimePath(v, name)
		for si, s := range stmts {
			if !s.header || !samePath(s.path, other) || !ownComment(lines, s.first) {
				continue
			}
			from := s.first
			for from > 0 && strings.HasPrefix(strings.TrimSpace(lines[from-1]), "#") {
				from--
			}
			to := blockEnd(stmts, si, len(lines), func(p []string) bool { return hasPrefix(p, other) })
			edits = append(edits, edit{from, to, nil})
			warnings = append(warnings, fmt.Sprintf("removed the version %d table an earlier installer wrote at line %d", v, s.first+1))
		}
	}
	if found >= 0 {
		// Converge the existing table: set our keys, keep the rest.
		h := stmts[found]
		end := blockEnd(stmts, found, len(lines), nil)
		indent := "  "
		seen := map[string]bool{}
		lastLine := h.first
		for _, s := range stmts[found+1:] {
			if s.first >= end {
				break
			}
			if s.header {
				break
			}
			lastLine = s.last
			if len(s.key) != 1 {
				continue
			}
			for _, kv := range runtimeKeys {
				if s.key[0] != kv.key {
					continue
				}
				seen[kv.key] = true
				if s.value != kv.value {
					indent = leading(lines[s.first])
					edits = append(edits, edit{s.first, s.last + 1, []string{indent + kv.key + " = " + kv.value}})
				}
			}
		}
		var add []string
		for _, kv := range runtimeKeys {
			if !seen[kv.key] {
				add = append(add, indent+kv.key+" = "+kv.value)
			}
		}
		if add != nil {
			edits = append(edits, edit{lastLine + 1, lastLine + 1, add})
		}
	}
	out := lines
	// Apply edits from the bottom up (they never overlap).
	for len(edits) > 0 {
		k := 0
		for i := range edits {
			if edits[i].from > edits[k].from {
				k = i
			}
		}
		e := edits[k]
		edits = append(edits[:k], edits[k+1:]...)
		out = append(append(append([]string(nil), out[:e.from]...), e.with...), out[e.to:]...)
	}
	result := strings.Join(out, "\n")
	if found < 0 {
		if !hasContent(result) && version >= 2 {
			result = fmt.Sprintf("version = %d\n", version) + strings.TrimLeft(result, "\n")
		}
		if result != "" && !strings.HasSuffix(result, "\n") {
			result += "\n"
		}
		if result != "" {
			result += "\n"
		}
		result += marker + ": Wasm functions (RuntimeClass handler " + name + ").\n" + Table(version, name)
	}
	// The result must read back with exactly one table of the runtime.
	check, err := scanTOML(result)
	if err != nil {
		return "", nil, false, fmt.Errorf("the edited configuration does not read back: %w", err)
	}
	n := 0
	for _, s := range check {
		if s.header && samePath(s.path, want) {
			n++
		}
	}
	if n != 1 {
		return "", nil, false, fmt.Errorf("the edited configuration has %d tables for runtime %s", n, name)
	}
	return result, warnings, result != doc, nil
}

// tableOf returns the path of the table statement si belongs to.
func tableOf(stmts []tomlLine, si int) []string {
	for i := si - 1; i >= 0; i-- {
		if stmts[i].header {
			return stmts[i].path
		}
	}
	return nil
}

// blockEnd returns the line where the table opened by stmts[si] ends: the
// next header (for which also(path) is false, when also is set), or n.
func blockEnd(stmts []tomlLine, si, n int, also func([]string) bool) int {
	for _, s := range stmts[si+1:] {
		if s.header && (also == nil || !also(s.path)) {
			return s.first
		}
	}
	return n
}

// ownComment tells whether the comment lines right above line i include the
// installer's (or an earlier faas-wasm script's) "Added by" comment.
func ownComment(lines []string, i int) bool {
	for j := i - 1; j >= 0; j-- {
		s := strings.TrimSpace(lines[j])
		if !strings.HasPrefix(s, "#") {
			return false
		}
		if strings.Contains(s, "Added by") && strings.Contains(s, "faas-wasm") {
			return true
		}
	}
	return false
}

var criName = regexp.MustCompile(`["'](cri|io\.containerd\.grpc\.v1\.cri|io\.containerd\.cri\.v1\.runtime)["']`)

// disablesCRI tells whether a disabled_plugins value names a CRI plugin.
func disablesCRI(value string) bool { return criName.MatchString(value) }

func leading(s string) string { return s[:len(s)-len(strings.TrimLeft(s, " \t"))] }
