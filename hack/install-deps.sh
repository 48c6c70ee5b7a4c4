#!/usr/bin/env bash
# Installs what building and testing faas-wasm needs on a Debian 12 machine, idempotently:
# Debian packages (containerd, runc, CNI plugins, clang + wasi-libc for C test guests and
# sdk/c and c-faaswasm functions, PostgreSQL for the user-manager benchmark, rustc/cargo + the
# wasm32-wasi std + the crate sources sdk/rust (hyper, tokio) and functions/rust (aes, hex, sha2)
# build from, offline, Chromium for the web console's browser tests in test/console) and the Go
# modules. Safe to run again.
set -euo pipefail

packages=(containerd runc containernetworking-plugins iptables clang lld wasi-libc
  libclang-rt-14-dev-wasm32 postgresql
  rustc cargo libstd-rust-dev-wasm32 librust-hyper-dev librust-tokio-dev
  librust-aes-dev librust-hex-dev librust-sha2-dev libc6-dev
  chromium chromium-driver)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing Debian packages (${missing[*]}); run as root or install them" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v go >/dev/null || { echo "install-deps: Go is required (1.26 or later)" >&2; exit 1; }
for m in . fn functions test/guests; do (cd "$m" && go mod download); done
