package main

import (
	"bytes"
	"fmt"
	"regexp"
)

var version2 = regexp.MustCompile(`(?m)^\s*version\s*=\s*2\b`)

// registerRuntime returns the containerd config with the CRI runtime name
// (runtime_type io.containerd.faaswasm.v1) appended, and whether it had to
// be added. An empty config becomes a version 2 config. The table is
// appended rather than imported: containerd 1.6 imports replace the whole
// CRI section.
func registerRuntime(config []byte, name string) ([]byte, bool) {
	if len(bytes.TrimSpace(config)) == 0 {
		config = []byte("version = 2\n")
	}
	table := fmt.Sprintf("[plugins.cri.containerd.runtimes.%s]", name)
	if version2.Match(config) {
		table = fmt.Sprintf("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.%s]", name)
	}
	if bytes.Contains(config, []byte(table)) {
		return config, false
	}
	out := append([]byte(nil), config...)
	if !bytes.HasSuffix(out, []byte("\n")) {
		out = append(out, '\n')
	}
	out = fmt.Appendf(out, `
# Added by faas-wasm's node installer: Wasm functions (RuntimeClass handler %s).
%s
  runtime_type = "io.containerd.faaswasm.v1"
  pod_annotations = ["com.openfaas.wasm.*"]
  container_annotations = ["com.openfaas.wasm.*"]
`, name, table)
	return out, true
}
