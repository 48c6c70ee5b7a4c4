package faascli

import "time"

// The shapes faas-cli 0.18 decodes answers into: faas-provider's types
// (types.FunctionStatus, types.Secret, types.FunctionNamespace,
// logs.Message) and the gateway's types.GatewayInfo, field for field as
// JSON sees them, with upstream's Go types (pointer maps included), so a
// value faas-cli cannot decode fails here too.

type functionStatus struct {
	Name                   string             `json:"name"`
	Image                  string             `json:"image"`
	Namespace              string             `json:"namespace,omitempty"`
	EnvProcess             string             `json:"envProcess,omitempty"`
	EnvVars                map[string]string  `json:"envVars,omitempty"`
	Constraints            []string           `json:"constraints,omitempty"`
	Secrets                []string           `json:"secrets,omitempty"`
	Labels                 *map[string]string `json:"labels,omitempty"`
	Annotations            *map[string]string `json:"annotations,omitempty"`
	Limits                 *resources         `json:"limits,omitempty"`
	Requests               *resources         `json:"requests,omitempty"`
	ReadOnlyRootFilesystem bool               `json:"readOnlyRootFilesystem,omitempty"`
	InvocationCount        float64            `json:"invocationCount,omitempty"`
	Replicas               uint64             `json:"replicas,omitempty"`
	AvailableReplicas      uint64             `json:"availableReplicas,omitempty"`
	CreatedAt              time.Time          `json:"createdAt"`
	Usage                  *usage             `json:"usage,omitempty"`
}

type resources struct {
	Memory string `json:"memory,omitempty"`
	CPU    string `json:"cpu,omitempty"`
}

type usage struct {
	CPU              float64 `json:"cpu,omitempty"`
	TotalMemoryBytes float64 `json:"totalMemoryBytes,omitempty"`
}

type secret struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	Value     string `json:"value,omitempty"`
	RawValue  []byte `json:"rawValue,omitempty"`
}

type functionNamespace struct {
	Name        string            `json:"name"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
}

type logMessage struct {
	Name      string    `json:"name"`
	Namespace string    `json:"namespace"`
	Instance  string    `json:"instance"`
	Timestamp time.Time `json:"timestamp"`
	Text      string    `json:"text"`
}

type versionInfo struct {
	CommitMessage string `json:"commit_message,omitempty"`
	SHA           string `json:"sha"`
	Release       string `json:"release"`
}

type gatewayInfo struct {
	Provider *struct {
		Name          string       `json:"provider"`
		Orchestration string       `json:"orchestration"`
		Version       *versionInfo `json:"version"`
	} `json:"provider"`
	Version *versionInfo `json:"version"`
	Arch    string       `json:"arch"`
}
