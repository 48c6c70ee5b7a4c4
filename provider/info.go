package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// DecodeInfo reads the body of GET /system/info in either form: a
// provider's ProviderInfo ({"provider":"NAME",...}) or a gateway's
// GatewayInfo ({"provider":{...},...}), and returns the provider's part.
//
// # Errors
//
// A JSON decoding error, wrapped.
func DecodeInfo(data []byte) (ProviderInfo, error) {
	var probe struct {
		Provider json.RawMessage `json:"provider"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return ProviderInfo{}, fmt.Errorf("decode system info: %w", err)
	}
	if bytes.HasPrefix(bytes.TrimSpace(probe.Provider), []byte("{")) {
		var g GatewayInfo
		if err := json.Unmarshal(data, &g); err != nil {
			return ProviderInfo{}, fmt.Errorf("decode gateway info: %w", err)
		}
		return g.Provider, nil
	}
	var p ProviderInfo
	if err := json.Unmarshal(data, &p); err != nil {
		return ProviderInfo{}, fmt.Errorf("decode provider info: %w", err)
	}
	return p, nil
}
