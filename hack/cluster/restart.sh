#!/usr/bin/env bash
# Restarts one component of the running test cluster with exactly the command line (and PATH)
# it runs with now — read from /proc, so no argument list is repeated here — leaving every
# other component alone (up.sh would regenerate configs and may restart containerd):
#   hack/cluster/restart.sh kube-apiserver          # SIGTERM (SIGKILL after 20 s), start again
#   hack/cluster/restart.sh -k -d 5 kube-apiserver  # SIGKILL, stay down 5 s, start again
#   hack/cluster/restart.sh -u kube-apiserver       # only start it again if it is not running
# The command line is saved under $RUN_DIR/cmdline/ before the stop, so -u (or a second run)
# can bring a component back after an interrupted restart. kube-apiserver and etcd are waited
# for until healthy (120 s).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
usage="usage: restart.sh [-k] [-d SECONDS] [-u] COMPONENT"
timeout=20 down=0 up_only=
while getopts kd:u opt; do
	case $opt in
	k) timeout=0 ;;
	d) down=$OPTARG ;;
	u) up_only=1 ;;
	*) die "$usage" ;;
	esac
done
shift $((OPTIND - 1))
(($# == 1)) || die "$usage"
[[ $down =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "-d takes seconds: $down"
[[ $(id -u) -eq 0 ]] || die "restart.sh must run as root"
name=$1
saved=$RUN_DIR/cmdline/$name

pid=$(pid_of "$name")
if [[ -n $pid && -z $up_only ]]; then
	mkdir -p "$RUN_DIR/cmdline"
	cp "/proc/$pid/cmdline" "$saved.tmp"
	tr '\0' '\n' <"/proc/$pid/environ" | sed -n 's/^PATH=//p' >"$saved.path.tmp"
	mv -f "$saved.path.tmp" "$saved.path"
	mv -f "$saved.tmp" "$saved"
	stop_proc "$name" "$timeout"
	sleep "$down"
fi
if [[ -z $(pid_of "$name") ]]; then
	[[ -s $saved ]] || die "$name is not running and no command line was saved for it"
	mapfile -d '' argv <"$saved"
	PATH=$(cat "$saved.path" 2>/dev/null || echo "$PATH") start_proc "$name" "${argv[@]}"
fi
case $name in
kube-apiserver) WAIT_PROC=$name wait_for kube-apiserver 120 kubectl_admin get --raw /readyz ;;
etcd) WAIT_PROC=$name wait_for etcd 120 curl -sf "http://127.0.0.1:$ETCD_CLIENT_PORT/health" ;;
esac
log "$name running (pid $(pid_of "$name"))"
