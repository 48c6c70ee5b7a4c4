package shim

import (
	"strings"
	"testing"
)

func TestParseCgroupsPath(t *testing.T) {
	for _, tc := range []struct {
		raw              string
		dir, slice, unit string
	}{
		{raw: "/kubepods/besteffort/pod123/abc", dir: "/kubepods/besteffort/pod123/abc"},
		{raw: "ns/guest", dir: "/ns/guest"},
		{raw: "/kubepods//pod123/./abc/", dir: "/kubepods/pod123/abc"},
		{raw: "kubepods-besteffort-pod123.slice:cri-containerd:abc", slice: "kubepods-besteffort-pod123.slice", unit: "cri-containerd-abc.scope",
			dir: "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod123.slice/cri-containerd-abc.scope"},
		{raw: "kubepods-pod_1.slice:cri-containerd:abc", slice: "kubepods-pod_1.slice", unit: "cri-containerd-abc.scope",
			dir: "/kubepods.slice/kubepods-pod_1.slice/cri-containerd-abc.scope"},
		{raw: "system.slice:docker:0123abcd", slice: "system.slice", unit: "docker-0123abcd.scope",
			dir: "/system.slice/docker-0123abcd.scope"},
		{raw: "-.slice:faaswasm:x", slice: "-.slice", unit: "faaswasm-x.scope", dir: "/faaswasm-x.scope"},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			p, err := parseCgroupsPath(tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			want := cgroupPath{dir: tc.dir, slice: tc.slice, unit: tc.unit}
			if p != want {
				t.Errorf("got %+v, want %+v", p, want)
			}
			if p.systemd() != (tc.unit != "") {
				t.Errorf("systemd() = %v", p.systemd())
			}
		})
	}
}

func TestParseCgroupsPathRefuses(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"", "empty"},
		{"/kubepods/../../etc", "'..'"},
		{"../x", "'..'"},
		{"kubepods.slice:cri-containerd", "want slice:prefix:name, got 2 parts"},
		{"a.slice:b:c:d", "got 4 parts"},
		{"kubepods.slice:cri-containerd:", `name ""`},
		{"kubepods.slice::abc", `prefix ""`},
		{":cri-containerd:abc", `slice ""`},
		{"kubepods:cri-containerd:abc", "ending in .slice"},
		{".slice:p:n", "ending in .slice"},
		{"kubepods--pod1.slice:p:n", "empty part between dashes"},
		{"-kubepods.slice:p:n", "empty part between dashes"},
		{"kubepods-.slice:p:n", "empty part between dashes"},
		{"kubepods/x.slice:p:n", "unit name"},
		{"kubepods.slice:p:a/b", "unit name"},
		{"kubepods.slice:p:a b", "unit name"},
		{"kubepods.slice:p:inner.slice", "only a scope"},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			p, err := parseCgroupsPath(tc.raw)
			if err == nil {
				t.Fatalf("got %+v, want an error", p)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func FuzzParseCgroupsPath(f *testing.F) {
	for _, s := range []string{"/kubepods/pod1/abc", "a-b.slice:p:n", "-.slice:p:n", "x:y", "../a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := parseCgroupsPath(raw)
		if err != nil {
			return
		}
		if !strings.HasPrefix(p.dir, "/") || strings.Contains(p.dir, "/../") || strings.HasSuffix(p.dir, "/..") {
			t.Fatalf("%q: dir %q escapes the hierarchy", raw, p.dir)
		}
		if p.systemd() && (!strings.HasSuffix(p.dir, "/"+p.unit) || !strings.HasSuffix(p.unit, ".scope")) {
			t.Fatalf("%q: unit %q, dir %q", raw, p.unit, p.dir)
		}
	})
}
