package main

import (
	"runtime/debug"
	"strings"
)

// Defaults of version and commit when the linker sets neither.
const (
	unsetVersion = "dev"
	unsetCommit  = "unknown"
)

// stampedVersion returns the release and commit the binary reports. Values
// set at link time (the Makefile's -X main.version / main.commit) win; a
// plain `go build` leaves them unset, and then the go command's own stamp is
// used: the main module's version (a pseudo-version such as
// v0.0.0-20250102030405-abcdef123456+dirty when built in a checkout) and
// the VCS revision, with "-dirty" appended to a "dev" release when the
// working tree had changes. read is debug.ReadBuildInfo (a parameter for
// tests).
func stampedVersion(version, commit string, read func() (*debug.BuildInfo, bool)) (string, string) {
	if version != unsetVersion && commit != unsetCommit {
		return version, commit
	}
	info, ok := read()
	if !ok || info == nil {
		return version, commit
	}
	var revision string
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if commit == unsetCommit && revision != "" {
		commit = revision
	}
	if version == unsetVersion {
		switch v := info.Main.Version; {
		case v != "" && v != "(devel)":
			version = v
		case revision != "":
			version = unsetVersion + "-" + revision[:min(12, len(revision))]
			if modified {
				version += "-dirty"
			}
		}
	}
	return strings.TrimSpace(version), strings.TrimSpace(commit)
}
