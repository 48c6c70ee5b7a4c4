package bench

// StudyNumbers are the published means of Kjorveziroski & Filiposka (2023)
// for one function (see /work/shared/paper.md); 0 means not published.
type StudyNumbers struct {
	// SerialWasmMs and SerialContainerMs: serial execution, 5 minutes,
	// one connection, keep-alive off, mean ms.
	SerialWasmMs, SerialContainerMs float64
	// ConcurrentWasmMs and ConcurrentContainerMs: 5 workers × 5 rps for
	// one minute, mean ms (published for four functions only).
	ConcurrentWasmMs, ConcurrentContainerMs float64
}

// Study-wide figures: deploy ("instantiation") time means over 100 runs,
// and artifact size ranges in KB.
const (
	StudyDeployWasmS          = 0.824
	StudyDeployContainerS     = 1.721
	StudySizeWasmMinKB        = 122
	StudySizeWasmMaxKB        = 753
	StudySizeContainerGoMinKB = 8780
	StudySizeContainerGoMaxKB = 8920
	// StudySizeSmaller is the study's own summary of Wasm artifacts
	// against its OpenFaaS images (Go 8780–8920 KB, Rust 50950–52620 KB).
	StudySizeSmaller = "65–75×"
)

// Study maps the study's function names to their published numbers.
var Study = map[string]StudyNumbers{
	"aes":              {SerialWasmMs: 60.3, SerialContainerMs: 51.7, ConcurrentWasmMs: 89.6, ConcurrentContainerMs: 75.4},
	"float-operation":  {SerialWasmMs: 39.7, SerialContainerMs: 40.4},
	"fuzzysearch":      {SerialWasmMs: 133.1, SerialContainerMs: 140.4, ConcurrentWasmMs: 173.2, ConcurrentContainerMs: 150.4},
	"linear-equations": {SerialWasmMs: 49.7, SerialContainerMs: 43.1, ConcurrentWasmMs: 75.8, ConcurrentContainerMs: 63.0},
	"matmul":           {SerialWasmMs: 57.4, SerialContainerMs: 45.0, ConcurrentWasmMs: 84.6, ConcurrentContainerMs: 65.0},
	"n-body":           {SerialWasmMs: 40.3, SerialContainerMs: 39.6},
	"prime-numbers":    {SerialWasmMs: 39.7, SerialContainerMs: 39.6},
	"user-manager":     {SerialWasmMs: 79.8, SerialContainerMs: 81.1},
	"whatlang":         {SerialWasmMs: 40.5, SerialContainerMs: 39.8},
}

// StudyInputs are the study's query strings per function.
var StudyInputs = map[string]string{
	"aes":              "length=1000&iterations=100",
	"float-operation":  "n=10000000",
	"linear-equations": "unknowns=128",
	"matmul":           "dimensions=50",
	"fuzzysearch":      "search=Hamlet",
	"n-body":           "",
	"prime-numbers":    "n=100",
	"whatlang":         "text=The+quick+brown+fox+jumps+over+the+lazy+dog",
	"user-manager":     "entries=1",
}
