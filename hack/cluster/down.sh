#!/usr/bin/env bash
# Stops the faas-wasm test cluster started by up.sh (by its pid files only) and removes what it
# made: pods (through CRI, so CNI tears down their network), kube-proxy's and the kubelet's
# iptables chains, the bridges, mounts under the state and run dirs, /var/log/containers links
# into our pod logs, kubepods cgroups, the state dir; restores the sysctls saved at start.
# Safe to run twice and on a half-started cluster.
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $(id -u) -eq 0 ]] || die "down.sh must run as root"
t0=$SECONDS
POD_LOGS_DIR=$STATE_DIR/pod-logs

# The kubelet first, so that nothing recreates pods; then the pods themselves through CRI.
for c in kube-proxy kube-scheduler kube-controller-manager kubelet; do stop_proc "$c"; done
if [[ -n $(pid_of containerd) ]]; then
	if [[ -x $BIN_DIR/criclean ]]; then
		"$BIN_DIR/criclean" -socket "$CONTAINERD_SOCK" -timeout 90s || log "criclean failed; killing leftover tasks"
	fi
	ctr_() { ctr --address "$CONTAINERD_SOCK" "$@"; }
	for ns in $(ctr_ namespaces ls -q 2>/dev/null); do
		for t in $(ctr_ -n "$ns" tasks ls -q 2>/dev/null); do
			ctr_ -n "$ns" tasks kill -a -s SIGKILL "$t" >/dev/null 2>&1
			ctr_ -n "$ns" tasks rm -f "$t" >/dev/null 2>&1
		done
		for c in $(ctr_ -n "$ns" containers ls -q 2>/dev/null); do
			ctr_ -n "$ns" containers rm "$c" >/dev/null 2>&1
		done
	done
fi
for c in kube-apiserver etcd containerd; do stop_proc "$c"; done

# Shims our containerd started outlive it; they name our socket on their command line.
for p in /proc/[0-9]*; do
	cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
	if [[ $cmd == *containerd-shim* && $cmd == *"-address $CONTAINERD_SOCK "* ]]; then
		log "killing leftover shim ${p#/proc/}"
		kill -KILL "${p#/proc/}" 2>/dev/null
	fi
done

# kube-proxy removes its own rules; then any KUBE-* chain left (kubelet canaries, firewall).
[[ -x $BIN_DIR/kube-proxy ]] && "$BIN_DIR/kube-proxy" --cleanup >/dev/null 2>&1
for ipt in iptables ip6tables; do
	command -v "$ipt" >/dev/null || continue
	for table in filter nat mangle raw; do
		rules=$("$ipt" -t "$table" -S 2>/dev/null) || continue
		# Rules in built-in chains that jump to a KUBE-* chain.
		while read -r rule; do
			[[ -n $rule ]] || continue
			eval "set -- $rule"
			shift
			"$ipt" -t "$table" -D "$@" 2>/dev/null
		done < <(grep -E '^-A [A-Z]+ .*-j KUBE-' <<<"$rules" | grep -vE '^-A KUBE-')
		for chain in $(grep -oE '^-N KUBE-[A-Za-z0-9_-]+' <<<"$rules" | cut -d' ' -f2); do
			"$ipt" -t "$table" -F "$chain" 2>/dev/null
		done
		for chain in $(grep -oE '^-N KUBE-[A-Za-z0-9_-]+' <<<"$rules" | cut -d' ' -f2); do
			"$ipt" -t "$table" -X "$chain" 2>/dev/null
		done
	done
done

# Mounts under our directories, deepest first.
for dir in "$STATE_DIR" "$RUN_DIR"; do
	awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
	done
done

for br in "$BRIDGE" "$NODE_BRIDGE"; do
	ip link show "$br" >/dev/null 2>&1 && ip link del "$br" && log "removed bridge $br"
done

# /var/log/containers links into our pod logs (or left dangling by them).
if [[ -d /var/log/containers ]]; then
	for l in /var/log/containers/*.log; do
		[[ -L $l ]] || continue
		target=$(readlink "$l")
		[[ $target == "$POD_LOGS_DIR"/* ]] && rm -f "$l"
	done
fi

# The kubelet's device manager socket path is fixed, whatever its --root-dir.
rm -f /var/lib/kubelet/device-plugins/kubelet.sock
rmdir /var/lib/kubelet/device-plugins /var/lib/kubelet 2>/dev/null

# kubepods cgroups (cgroup v1: one tree per controller), leaves first; busy ones stay.
for root in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
	[[ -d $root ]] || continue
	find "$root" -depth -type d -exec rmdir {} \; 2>/dev/null
	[[ -d $root ]] && log "could not remove $root (processes left in it?)"
done

if [[ -s $STATE_DIR/sysctl.saved ]]; then
	while IFS='=' read -r k v; do
		sysctl -qw "$k=$v" || log "could not restore $k=$v"
	done <"$STATE_DIR/sysctl.saved"
	log "restored sysctls: $(tr '\n' ' ' <"$STATE_DIR/sysctl.saved")"
fi

rm -rf "$STATE_DIR" "$RUN_DIR"
log "cluster down and cleaned in $((SECONDS - t0)) s"
