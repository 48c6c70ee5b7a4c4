package config

import (
	"io"
	"slices"
	"testing"
)

func TestTrustedBuildKeys(t *testing.T) {
	noEnv := func(string) string { return "" }
	c, err := Parse([]string{"--trusted-build-key", "a.pub", "--trusted-build-key", "b.pub,c.pub"}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.pub", "b.pub", "c.pub"}; !slices.Equal(c.TrustedBuildKeys, want) {
		t.Errorf("TrustedBuildKeys = %q, want %q", c.TrustedBuildKeys, want)
	}
	env := func(k string) string {
		if k == "FAAS_WASM_TRUSTED_BUILD_KEY" {
			return "x.pub, y.pub"
		}
		return ""
	}
	if c, err = Parse(nil, env, io.Discard); err != nil || !slices.Equal(c.TrustedBuildKeys, []string{"x.pub", "y.pub"}) {
		t.Errorf("from the environment: %q %v", c.TrustedBuildKeys, err)
	}
	if c, err = Parse(nil, noEnv, io.Discard); err != nil || len(c.TrustedBuildKeys) != 0 {
		t.Errorf("default: %q %v", c.TrustedBuildKeys, err)
	}
}
