package provider

import (
	"encoding/json"
	"testing"
)

// TestDecodeInfo reads both forms of /system/info: the provider's (behind a
// gateway) and the gateway's (local mode, and a real gateway), and refuses
// what is neither.
func TestDecodeInfo(t *testing.T) {
	want := ProviderInfo{Name: "faas-wasm", Orchestration: "local", Version: VersionInfo{SHA: "abc", Release: "1.2.3"}}
	plain, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	gateway, err := json.Marshal(GatewayInfo{Provider: want, Version: VersionInfo{SHA: "g", Release: "0.27.14"}, Arch: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"provider form": plain, "gateway form": gateway} {
		got, err := DecodeInfo(data)
		if err != nil || got != want {
			t.Errorf("%s %s: %+v, %v; want %+v", name, data, got, err, want)
		}
	}
	for _, bad := range []string{`[]`, `{"provider":{"provider":1}}`, `{"provider":2}`, `not json`} {
		if got, err := DecodeInfo([]byte(bad)); err == nil {
			t.Errorf("DecodeInfo(%s) = %+v, want an error", bad, got)
		}
	}
}
