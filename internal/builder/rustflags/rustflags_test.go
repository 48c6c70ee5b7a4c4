package rustflags

import (
	"slices"
	"testing"
)

func TestParseStackSize(t *testing.T) {
	for s, want := range map[string]int{"": DefaultStackSize, "262144": 256 << 10, "64Ki": 64 << 10, " 2Mi ": 2 << 20, "16Ki": MinStackSize, "64Mi": MaxStackSize} {
		if got, err := ParseStackSize(s); err != nil || got != want {
			t.Errorf("ParseStackSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"15Ki", "65Mi", "1Gi", "100001", "0", "-64Ki", "1.5Mi", "256K", "Ki", "9223372036854775807Mi"} {
		if got, err := ParseStackSize(s); err == nil {
			t.Errorf("ParseStackSize(%q) = %d, want an error", s, got)
		}
	}
}

func TestStackSize(t *testing.T) {
	if got := StackSize(1 << 20); !slices.Equal(got, []string{"-C", "link-arg=-zstack-size=1048576"}) {
		t.Errorf("StackSize(1 MiB) = %q", got)
	}
}

func TestReactorStart(t *testing.T) {
	got := ReactorStart("/usr")
	want := []string{"-C", "link-arg=/usr/lib/rustlib/wasm32-wasi/lib/self-contained/crt1-reactor.o"}
	if !slices.Equal(got, want) {
		t.Errorf("ReactorStart = %q, want %q", got, want)
	}
}
