#!/usr/bin/env bash
# Installs containerd, runc and the CNI plugins from Debian if any is missing.
# Idempotent: does nothing when all three are present. Needs root to install.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
LOG_PREFIX=containerd/install

missing=()
command -v containerd >/dev/null || missing+=(containerd)
command -v runc >/dev/null || missing+=(runc)
[ -x /usr/lib/cni/bridge ] || [ -x /opt/cni/bin/bridge ] || missing+=(containernetworking-plugins)
if ((${#missing[@]} == 0)); then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  die "missing ${missing[*]}; run as root or install them"
fi
log "installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
