package shim

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// cgroupPath is a container's cgroup as the spec's linux.cgroupsPath names
// it, in either driver's form:
//   - cgroupfs: a path below each hierarchy's root, e.g.
//     /kubepods/besteffort/pod123/abc (a relative path is taken from the root);
//   - systemd: "slice:prefix:name", e.g.
//     kubepods-besteffort-pod123.slice:cri-containerd:abc, the transient
//     scope unit prefix-name.scope in that slice, as runc reads it and
//     containerd's CRI plugin writes it when the kubelet's cgroup parent is a
//     systemd slice.
type cgroupPath struct {
	// dir is the cgroup's directory below a hierarchy's root: absolute and
	// clean. For the systemd form, the slice expanded the way systemd lays
	// slices out, e.g. /kubepods.slice/kubepods-besteffort.slice/
	// kubepods-besteffort-pod123.slice/cri-containerd-abc.scope.
	dir string
	// slice and unit are the systemd slice and scope unit ("" for cgroupfs).
	slice, unit string
}

// systemd tells whether the cgroup is a systemd scope unit.
func (p cgroupPath) systemd() bool { return p.unit != "" }

// unitPart is what a part of a systemd cgroupsPath may hold: unit name
// characters, never a path separator.
var unitPart = regexp.MustCompile(`^[A-Za-z0-9_.@-]+$`)

// parseCgroupsPath reads a spec's linux.cgroupsPath (not empty).
//
// # Errors
// An empty path, a cgroupfs path with a ".." element, and a systemd path
// that is not "slice:prefix:name" with a valid slice name (ending in
// .slice, no empty dash-separated part) and a non-empty prefix and name of
// unit name characters.
func parseCgroupsPath(raw string) (cgroupPath, error) {
	if raw == "" {
		return cgroupPath{}, fmt.Errorf("empty cgroups path")
	}
	if !strings.Contains(raw, ":") {
		for _, e := range strings.Split(raw, "/") {
			if e == ".." {
				return cgroupPath{}, fmt.Errorf("cgroups path %q: '..' is not allowed", raw)
			}
		}
		return cgroupPath{dir: path.Clean("/" + raw)}, nil
	}
	parts := strings.Split(raw, ":")
	if len(parts) != 3 {
		return cgroupPath{}, fmt.Errorf("systemd cgroups path %q: want slice:prefix:name, got %d parts", raw, len(parts))
	}
	slice, prefix, name := parts[0], parts[1], parts[2]
	for _, p := range []struct{ what, v string }{{"slice", slice}, {"prefix", prefix}, {"name", name}} {
		if !unitPart.MatchString(p.v) {
			return cgroupPath{}, fmt.Errorf("systemd cgroups path %q: %s %q: want a non-empty unit name (letters, digits, _ . @ -)", raw, p.what, p.v)
		}
	}
	if strings.HasSuffix(name, ".slice") {
		return cgroupPath{}, fmt.Errorf("systemd cgroups path %q: a container in a slice of its own is not supported, only a scope", raw)
	}
	dir, err := expandSlice(slice)
	if err != nil {
		return cgroupPath{}, fmt.Errorf("systemd cgroups path %q: %w", raw, err)
	}
	unit := prefix + "-" + name + ".scope"
	return cgroupPath{dir: path.Join(dir, unit), slice: slice, unit: unit}, nil
}

// expandSlice returns where systemd keeps a slice's cgroup below a
// hierarchy's root: each dash-separated prefix is a parent slice, so
// a-b-c.slice is /a.slice/a-b.slice/a-b-c.slice; -.slice is the root.
//
// # Errors
// A name not ending in .slice, or with an empty dash-separated part.
func expandSlice(slice string) (string, error) {
	if slice == "-.slice" {
		return "/", nil
	}
	base, ok := strings.CutSuffix(slice, ".slice")
	if !ok || base == "" {
		return "", fmt.Errorf("slice %q: want a name ending in .slice", slice)
	}
	dir, prefix := "/", ""
	for _, part := range strings.Split(base, "-") {
		if part == "" {
			return "", fmt.Errorf("slice %q: empty part between dashes", slice)
		}
		prefix += part
		dir = path.Join(dir, prefix+".slice")
		prefix += "-"
	}
	return dir, nil
}
