#!/usr/bin/env bash
# Installs faas-wasm's containerd shim on this node and registers it with containerd's CRI plugin.
#
#   hack/shim/install.sh [--bin-dir DIR] [--from DIR] [--config FILE] [--name NAME]
#                        [--cache-dir DIR] [--restart]
#
#   --bin-dir DIR   where the binaries go (default /usr/local/bin). containerd 1.6 ignores
#                   runtime_path, so this must be on containerd's PATH.
#   --from DIR      take containerd-shim-faaswasm-v1 and faaswasm-runner from DIR instead of
#                   building them from this checkout (needs Go and a C compiler).
#   --config FILE   containerd config to register the runtime in (default: none = only install
#                   binaries). Appends, once, a table
#                   [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.NAME] with
#                   runtime_type = "io.containerd.faaswasm.v1" (plugins.cri.… for version 1
#                   configs). Appending, not `imports`: containerd 1.6 imports replace the whole
#                   CRI section.
#   --name NAME     CRI runtime (RuntimeClass handler) name (default faaswasm).
#   --cache-dir DIR the node's compiled-module cache (default /var/lib/faas-wasm/cache).
#   --restart       restart containerd afterwards (systemd only; otherwise restart it yourself).
#
# Idempotent: binaries are replaced only when they differ, the table is added only once.
# Then: kubectl apply -f hack/shim/runtimeclass.yaml and label the node
#   kubectl label node NODE faas-wasm/runtime=true
set -euo pipefail

bin_dir=/usr/local/bin
from=
config=
name=faaswasm
cache_dir=/var/lib/faas-wasm/cache
restart=false
while [[ $# -gt 0 ]]; do
	case $1 in
	--bin-dir) bin_dir=$2; shift 2 ;;
	--from) from=$2; shift 2 ;;
	--config) config=$2; shift 2 ;;
	--name) name=$2; shift 2 ;;
	--cache-dir) cache_dir=$2; shift 2 ;;
	--restart) restart=true; shift ;;
	-h | --help) sed -n '2,24p' "$0"; exit 0 ;;
	*) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
[[ $name =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || { echo "install.sh: bad runtime name $name" >&2; exit 2; }

log() { echo "shim/install: $*"; }
repo=$(cd "$(dirname "$0")/../.." && pwd)

if [[ -z $from ]]; then
	from=$(mktemp -d)
	trap 'rm -rf "$from"' EXIT
	log "building the shim and the runner from $repo"
	(cd "$repo" &&
		CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$from/containerd-shim-faaswasm-v1" ./cmd/containerd-shim-faaswasm-v1 &&
		go build -trimpath -ldflags "-s -w" -o "$from/faaswasm-runner" ./cmd/faaswasm-runner)
fi

mkdir -p "$bin_dir" "$cache_dir"
chmod 0700 "$cache_dir"
for b in containerd-shim-faaswasm-v1 faaswasm-runner; do
	[[ -x $from/$b ]] || { echo "install.sh: $from/$b missing" >&2; exit 1; }
	if cmp -s "$from/$b" "$bin_dir/$b"; then
		log "$bin_dir/$b is up to date"
	else
		# Install beside, then rename: a running shim keeps its old inode.
		install -m 0755 "$from/$b" "$bin_dir/.$b.new"
		mv -f "$bin_dir/.$b.new" "$bin_dir/$b"
		log "installed $bin_dir/$b"
	fi
done

if [[ -n $config ]]; then
	mkdir -p "$(dirname "$config")"
	[[ -s $config ]] || printf 'version = 2\n' >"$config"
	if grep -Eq '^[[:space:]]*version[[:space:]]*=[[:space:]]*2' "$config"; then
		table="[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.$name]"
	else
		table="[plugins.cri.containerd.runtimes.$name]"
	fi
	if grep -qF "$table" "$config"; then
		log "$config already registers runtime $name"
	else
		cat >>"$config" <<TOML

# Added by faas-wasm hack/shim/install.sh: Wasm functions (RuntimeClass handler $name).
$table
  runtime_type = "io.containerd.faaswasm.v1"
  pod_annotations = ["com.openfaas.wasm.*"]
  container_annotations = ["com.openfaas.wasm.*"]
TOML
		log "registered runtime $name (io.containerd.faaswasm.v1) in $config"
		if $restart; then
			if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
				systemctl restart containerd
				log "restarted containerd"
			else
				log "no systemd: restart containerd yourself to load the new runtime"
			fi
		else
			log "restart containerd to load the new runtime"
		fi
	fi
fi
if [[ $cache_dir != /var/lib/faas-wasm/cache ]]; then
	log "note: set FAASWASM_CACHE_DIR=$cache_dir in containerd's environment"
fi
