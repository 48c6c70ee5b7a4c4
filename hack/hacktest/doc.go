// Package hacktest holds the checks of the repository's scripts and
// documents — no code of its own, only tests:
//
//   - TestReferencedPathsExist: every repository path named in a script,
//     the Makefile, CI, a README or a document (./x/y, hack/…, internal/…,
//     cmd/…, test/…, docs/…, and the top-level folders the layout change
//     retired, such as shim/… or charttest/…) exists;
//   - TestKubernetesVersionDefinedOnce: the test cluster's Kubernetes version
//     is written only in hack/k8s-tools/go.mod (hack/lib.sh reads it from
//     there), and that go.mod's staging modules match it.
//
// Run with the root module's tests (go test ./hack/hacktest/).
package hacktest
