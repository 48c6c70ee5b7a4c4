package hacktest

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// k8sToolsGoMod is where the test cluster's Kubernetes version is defined.
const k8sToolsGoMod = "hack/k8s-tools/go.mod"

var (
	kubernetesReq = regexp.MustCompile(`(?m)^\s*k8s\.io/kubernetes (v1\.(\d+)\.(\d+))\b`)
	stagingRepl   = regexp.MustCompile(`(?m)^\s*(k8s\.io/[^\s]+) => k8s\.io/[^\s]+ (v[^\s]+)`)
)

// TestKubernetesVersionDefinedOnce: hack/k8s-tools/go.mod is the one
// definition of the Kubernetes version (hack/lib.sh reads it from there):
// its staging replacements follow it, and no script, Makefile, CI file or
// hack/ Go source spells the version or a versioned cache path by hand.
func TestKubernetesVersionDefinedOnce(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(root, k8sToolsGoMod))
	if err != nil {
		t.Fatal(err)
	}
	m := kubernetesReq.FindStringSubmatch(string(data))
	if m == nil {
		t.Fatalf("%s does not require k8s.io/kubernetes v1.X.Y", k8sToolsGoMod)
	}
	version, staging := m[1], "v0."+m[2]+"."+m[3]
	repl := stagingRepl.FindAllStringSubmatch(string(data), -1)
	if len(repl) < 10 {
		t.Errorf("%s: only %d k8s.io replace lines", k8sToolsGoMod, len(repl))
	}
	for _, r := range repl {
		if r[2] != staging {
			t.Errorf("%s: %s => %s, want %s (staging modules of k8s.io/kubernetes %s)", k8sToolsGoMod, r[1], r[2], staging, version)
		}
	}

	literal := strings.TrimPrefix(version, "v")
	forbidden := []string{literal, staging, "k8s-v1.", "gitMinor=" + m[2]}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
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
		base := d.Name()
		script := strings.HasSuffix(base, ".sh") || base == "Makefile" || rel == ".ci/run" ||
			strings.HasPrefix(rel, "hack/") && strings.HasSuffix(base, ".go") && !strings.HasSuffix(base, "_test.go")
		if !script {
			return nil
		}
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, f := range forbidden {
			if strings.Contains(string(text), f) {
				t.Errorf("%s spells %q: use $K8S_VERSION / $BIN_DIR from hack/lib.sh (the version lives in %s)", rel, f, k8sToolsGoMod)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
