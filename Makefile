# faas-wasm — see README.md. `make run` starts the provider in local mode, `make test` runs
# every test. Both install what they need first (idempotent).

GO        ?= go
BIN       := bin/faas-wasm
TOOLS_BIN := bin/faas-wasm-tools
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
STATE_DIR ?= $(HOME)/.local/share/faas-wasm
TEST_TIMEOUT ?= 30m
# The Go modules of the repository: the provider, the fn SDK, the functions (with their test
# services) and the provider tests' Go guests.
MODULES   := . fn functions test/guests
# Rust builds use Debian's toolchain (a rustup one earlier on PATH has no wasm target) and keep
# their target directory outside the repository.
CARGO     ?= /usr/bin/cargo
CARGO_TARGET_DIR ?= $(HOME)/.cache/faas-wasm/cargo-test

.PHONY: all deps build run test race sdk-test vet fmt-check fuzz bench bench-k8s vulncheck clean cluster-up cluster-down cluster-smoke e2e chart-test

all: build

deps:
	./hack/install-deps.sh

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/faas-wasm
	$(GO) build -trimpath -o $(TOOLS_BIN) ./cmd/faas-wasm-tools

# Serves on 127.0.0.1:8080, faas-cli's default gateway (--addr or FAAS_WASM_ADDR to change it).
run: deps build
	./hack/containerd/start.sh
	$(BIN) --state-dir $(STATE_DIR)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	@for m in $(MODULES); do echo "go vet ($$m)"; (cd $$m && $(GO) vet ./...) || exit 1; done

test: deps fmt-check vet
	./hack/containerd/start.sh
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...
	$(MAKE) race
	cd fn && $(GO) test -count=1 ./...
	cd functions && $(GO) test -count=1 ./...
	$(MAKE) sdk-test
	./hack/chart-test.sh
	./hack/fuzz-smoke.sh
	$(MAKE) vulncheck

# The Rust SDK and the Rust functions (cargo test, offline against Debian's crates), and the C
# SDK's build and native-server test.
sdk-test:
	cd sdk/rust && CARGO_TARGET_DIR=$(CARGO_TARGET_DIR) $(CARGO) test
	cd functions/rust && CARGO_TARGET_DIR=$(CARGO_TARGET_DIR) $(CARGO) test
	./sdk/c/test.sh

# The race detector over the concurrent packages, whose TestMain also fails on a goroutine
# left running after the tests (internal/leaktest). -short skips only the autoscaler's load
# test (the one test of these packages that checks testing.Short): it asserts scaling times
# within a cool-down that the race detector's slowdown breaks; `test` runs it without -race.
RACE_PKGS := ./internal/handlers ./internal/async ./internal/backend/local ./internal/backend/local/containers \
	./internal/backend/k8s ./internal/autoscale ./internal/metrics ./internal/runtime/wasm ./internal/shim \
	./internal/console ./internal/proxy ./internal/filelock

race:
	./hack/containerd/start.sh
	$(GO) test -race -short -count=1 -timeout $(TEST_TIMEOUT) $(RACE_PKGS)

# Dependency audit: govulncheck against the Go vulnerability database built from the module
# proxy's golang.org/x/vulndb (cached outside the repository). Fails on a reachable
# vulnerability that a module upgrade fixes; lists standard-library and unfixed ones.
vulncheck:
	$(GO) run ./hack/vulncheck
	$(GO) run ./hack/vulncheck -C fn
	$(GO) run ./hack/vulncheck -C functions

fuzz:
	FUZZTIME=60s ./hack/fuzz-smoke.sh

bench: build
	$(GO) test -run '^$$' -bench . -benchtime 2s ./...

# The side-by-side benchmark on the Kubernetes test cluster (docs/benchmarks/kubernetes.md);
# BENCH_ARGS=--quick for a smoke run.
bench-k8s:
	./hack/bench-k8s.sh $(BENCH_ARGS)

clean:
	rm -rf bin

# A real single-node Kubernetes cluster for the kubernetes-mode tests (see hack/cluster/README.md).
# The binaries are built once from the Go module proxy and cached outside the repository.
cluster-up:
	./hack/cluster/up.sh

cluster-down:
	./hack/cluster/down.sh

cluster-smoke:
	./hack/cluster/smoke.sh

# Kubernetes end-to-end tests on the real cluster (starts and stops its own cluster when none runs).
e2e:
	./hack/e2e.sh

# The Helm chart rendered and linted with Helm's Go library (a separate Go module).
chart-test:
	./hack/chart-test.sh
