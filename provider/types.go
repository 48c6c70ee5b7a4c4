package provider

import (
	"time"

	"github.com/faas-wasm/faas-wasm/internal/wasmopts"
)

// DefaultNamespace is the namespace functions land in when a request names none.
const DefaultNamespace = "openfaas-fn"

// Annotations and labels understood by faas-wasm.
const (
	// AnnotationRuntime selects how a function runs: RuntimeWasm or RuntimeContainer.
	// When absent, the image decides.
	AnnotationRuntime = "com.openfaas.runtime"
	// AnnotationAllowedHosts lists, comma separated, the hosts a Wasm function
	// may reach over outbound HTTP ("host" or "host:port"). Deny by default.
	AnnotationAllowedHosts = wasmopts.AnnotationAllowedHosts
	// AnnotationWasmMode selects the Wasm instance mode: "fresh" (default) or "warm".
	AnnotationWasmMode = wasmopts.AnnotationMode
	// AnnotationWasmMaxConcurrency bounds the instances one replica of a
	// Wasm function runs at once (1 to 1024; default 2 × the CPUs).
	AnnotationWasmMaxConcurrency = wasmopts.AnnotationMaxConcurrency
	// AnnotationColdServe "false" keeps a Wasm function's calls on its pods
	// in kubernetes mode; by default the provider serves a call itself, in
	// its Wasm sandbox, while the function has no ready pod.
	AnnotationColdServe = wasmopts.AnnotationColdServe
	// LabelScaleMin is the lowest replica count (default 1).
	LabelScaleMin = "com.openfaas.scale.min"
	// LabelScaleMax is the highest replica count.
	LabelScaleMax = "com.openfaas.scale.max"
	// LabelScaleZero enables idle scale to zero when "true".
	LabelScaleZero = "com.openfaas.scale.zero"
	// LabelScaleZeroDuration is the idle time before scale to zero (a Go duration, e.g. "15m").
	LabelScaleZeroDuration = "com.openfaas.scale.zero-duration"
	// LabelScaleType selects the autoscaler's load measure: ScaleTypeRPS,
	// ScaleTypeCapacity or ScaleTypeCPU.
	LabelScaleType = "com.openfaas.scale.type"
	// LabelScaleTarget is the load one replica should carry, in the unit of
	// the scale type: calls per second, calls in flight or millicores.
	LabelScaleTarget = "com.openfaas.scale.target"
	// LabelFunction is added to every function's labels with the function's name.
	LabelFunction = "faas_function"
)

// HostAlias is the name by which functions of both kinds reach services
// on the provider's host in local mode: container functions find it in
// their /etc/hosts, mapped to the CNI bridge's gateway address (so a host
// service must listen on that address or on 0.0.0.0), and Wasm functions'
// faas_http requests to it go to 127.0.0.1. A Wasm function still needs it
// in AnnotationAllowedHosts. Kubernetes mode does not define it.
const HostAlias = "host.faas-wasm.internal"

// SecretsPath is the directory where every function finds its secrets, one
// read-only file per secret (OpenFaaS's path): the mount of a container
// function's secrets in both modes, and the read-only preopen of a Wasm
// function's, which the builder's pre-initialiser gives the guest too (a
// guest runtime records its preopens while it initialises). A Wasm function
// without secrets has no preopen, no filesystem at all.
const SecretsPath = "/var/openfaas/secrets"

// Runtimes a function can be deployed with.
const (
	RuntimeWasm      = "wasm"
	RuntimeContainer = "container"
)

// FunctionDeployment is the body of POST and PUT /system/functions.
type FunctionDeployment struct {
	Service                string             `json:"service"`
	Image                  string             `json:"image"`
	Namespace              string             `json:"namespace,omitempty"`
	EnvProcess             string             `json:"envProcess,omitempty"`
	EnvVars                map[string]string  `json:"envVars,omitempty"`
	Constraints            []string           `json:"constraints,omitempty"`
	Secrets                []string           `json:"secrets,omitempty"`
	Labels                 map[string]string  `json:"labels,omitempty"`
	Annotations            map[string]string  `json:"annotations,omitempty"`
	Limits                 *FunctionResources `json:"limits,omitempty"`
	Requests               *FunctionResources `json:"requests,omitempty"`
	ReadOnlyRootFilesystem bool               `json:"readOnlyRootFilesystem,omitempty"`
}

// FunctionResources are resource amounts in Kubernetes quantity format ("128Mi", "200m").
type FunctionResources struct {
	Memory    string `json:"memory,omitempty"`
	CPU       string `json:"cpu,omitempty"`
	NvidiaGPU string `json:"nvidia.com/gpu,omitempty"`
	AMDGPU    string `json:"amd.com/gpu,omitempty"`
	IntelGPU  string `json:"intel.com/gpu,omitempty"`
}

// FunctionStatus is what GET /system/functions and /system/function/{name} return.
//
// Its JSON follows faas-provider's FunctionStatus key for key, with one
// difference of form that matches what faas-netes sends: labels and
// annotations are always present, an empty object when there are none (see
// MarshalJSON). Everything else tagged omitempty is left out when zero, as
// upstream does — zero replicas included, which clients read as 0.
type FunctionStatus struct {
	Name                   string             `json:"name"`
	Image                  string             `json:"image"`
	Namespace              string             `json:"namespace,omitempty"`
	EnvProcess             string             `json:"envProcess,omitempty"`
	EnvVars                map[string]string  `json:"envVars,omitempty"`
	Constraints            []string           `json:"constraints,omitempty"`
	Secrets                []string           `json:"secrets,omitempty"`
	Labels                 map[string]string  `json:"labels"`
	Annotations            map[string]string  `json:"annotations"`
	Limits                 *FunctionResources `json:"limits,omitempty"`
	Requests               *FunctionResources `json:"requests,omitempty"`
	ReadOnlyRootFilesystem bool               `json:"readOnlyRootFilesystem,omitempty"`
	InvocationCount        float64            `json:"invocationCount,omitempty"`
	Replicas               uint64             `json:"replicas,omitempty"`
	AvailableReplicas      uint64             `json:"availableReplicas,omitempty"`
	CreatedAt              time.Time          `json:"createdAt"`
	Usage                  *FunctionUsage     `json:"usage,omitempty"`
}

// FunctionUsage is the resource usage of a function's replicas.
type FunctionUsage struct {
	CPU              float64 `json:"cpu,omitempty"`
	TotalMemoryBytes float64 `json:"totalMemoryBytes,omitempty"`
}

// ScaleServiceRequest is the body of POST /system/scale-function/{name}.
type ScaleServiceRequest struct {
	ServiceName string `json:"serviceName"`
	Replicas    uint64 `json:"replicas"`
	Namespace   string `json:"namespace,omitempty"`
}

// DeleteFunctionRequest is the body of DELETE /system/functions.
type DeleteFunctionRequest struct {
	FunctionName string `json:"functionName"`
	Namespace    string `json:"namespace,omitempty"`
}

// ProviderInfo is what GET /system/info returns.
type ProviderInfo struct {
	Name          string      `json:"provider"`
	Orchestration string      `json:"orchestration"`
	Version       VersionInfo `json:"version"`
}

// GatewayInfo is what an OpenFaaS gateway answers on GET /system/info and
// what faas-cli version decodes: the provider's ProviderInfo under
// "provider", the gateway's own build under "version", and its CPU
// architecture. Local mode, with no gateway in front, answers in this form;
// behind a gateway the provider answers a ProviderInfo, which the gateway
// wraps into this. DecodeInfo reads either.
type GatewayInfo struct {
	Provider ProviderInfo `json:"provider"`
	Version  VersionInfo  `json:"version"`
	Arch     string       `json:"arch"`
}

// VersionInfo describes the provider's build.
type VersionInfo struct {
	CommitMessage string `json:"commit_message,omitempty"`
	SHA           string `json:"sha"`
	Release       string `json:"release"`
}

// Secret is the body of the /system/secrets routes. Value and RawValue are
// only ever received, never returned.
type Secret struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	Value     string `json:"value,omitempty"`
	RawValue  []byte `json:"rawValue,omitempty"`
}

// Data returns the secret's bytes: RawValue when set, else Value.
func (s Secret) Data() []byte {
	if len(s.RawValue) > 0 {
		return s.RawValue
	}
	return []byte(s.Value)
}

// SecretRef names a stored secret without its value, as GET /system/secrets lists them.
type SecretRef struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// FunctionNamespace is the body and answer of /system/namespace/{ns}.
type FunctionNamespace struct {
	Name        string            `json:"name"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
}

// LogRequest selects the log lines GET /system/logs streams.
type LogRequest struct {
	Name      string
	Namespace string
	// Instance limits lines to one replica when set.
	Instance string
	// Since, when non-zero, drops lines older than it.
	Since time.Time
	// Tail, when > 0, starts with at most this many of the newest stored lines.
	Tail int
	// Follow keeps the stream open for new lines until the context ends.
	Follow bool
}

// LogMessage is one line of GET /system/logs (one NDJSON object).
type LogMessage struct {
	Name      string    `json:"name"`
	Namespace string    `json:"namespace"`
	Instance  string    `json:"instance"`
	Timestamp time.Time `json:"timestamp"`
	Text      string    `json:"text"`
}
