#!/usr/bin/env bash
# Installs the Debian packages stracectl uses and its tests drive, when missing:
# strace and bpftrace (the two capture backends), chromium (browser tests of the
# dashboard and report), prometheus (scrapes /metrics in a test), tmux (TUI
# tests), jq (benchmarks' peer), gcc + libc6-dev (builds the static workload).
set -euo pipefail
packages=(strace bpftrace chromium prometheus tmux jq gcc libc6-dev)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's prometheus package starts a service on :9090; tests run their own instance.
if command -v systemctl >/dev/null 2>&1; then systemctl stop prometheus 2>/dev/null || true; fi
pkill -x prometheus 2>/dev/null || true
