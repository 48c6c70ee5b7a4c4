// Package console tests the web console (internal/console) in a real
// Chromium driven over the DevTools protocol (chromedp), against the real
// provider binary in local mode with one Wasm and one container function
// (a private containerd, a registry on loopback, guests built from source
// during the run).
//
// The package has no code of its own outside its tests. Run it as root with
//
//	go test -count=1 ./test/console/
//
// It needs the Debian package chromium (hack/install-deps.sh installs it);
// without it, or without root and containerd, the tests skip, and fail when
// CI is true. UPDATE_SCREENSHOTS=1 writes the screenshots it takes to
// docs/ui/ (the README shows them); otherwise they go to a temporary dir.
package console
