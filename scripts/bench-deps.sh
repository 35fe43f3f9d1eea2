#!/usr/bin/env bash
# The fleet benchmark's peers: nginx (the Debian package, the baseline for
# 304 throughput) and wrk (the load generator). Installed only when missing.
set -euo pipefail
missing=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "bench: ${missing[*]} missing; install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 0
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
