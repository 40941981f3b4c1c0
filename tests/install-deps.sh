#!/usr/bin/env bash
# Installs what the test suite needs on Debian/Ubuntu (run as root). Idempotent: does nothing
# when every tool is already present.
set -euo pipefail

need=()
command -v ovs-vswitchd >/dev/null || need+=(openvswitch-switch)
command -v ovs-ofctl >/dev/null || need+=(openvswitch-common)
command -v ovs-testcontroller >/dev/null || need+=(openvswitch-testcontroller)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v tshark >/dev/null || need+=(tshark)
command -v ip >/dev/null || need+=(iproute2)
command -v ping >/dev/null || need+=(iputils-ping)
command -v python3 >/dev/null || need+=(python3)

if ((${#need[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages ${need[*]}; run as root: apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "install-deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # tshark asks whether non-root users may capture; answer no without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# promtool (Debian package prometheus) is the independent referee of the /metrics format in the tests.
# Only the binary is unpacked, so no Prometheus server is installed or started. Optional: without it the
# tests check the format with their own reader.
if ! command -v promtool >/dev/null && [[ $(id -u) -eq 0 ]]; then
  tmp=$(mktemp -d)
  if (cd "$tmp" && { apt-get download -qq prometheus || { apt-get update -qq && apt-get download -qq prometheus; }; }) >/dev/null 2>&1 &&
     dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb | tar -x -C "$tmp" ./usr/bin/promtool; then
    install -m 755 "$tmp/usr/bin/promtool" /usr/local/bin/promtool
  else
    echo "install-deps: promtool not available; /metrics is checked by the tests' own reader only" >&2
  fi
  rm -rf "$tmp"
fi

if ! command -v dotnet >/dev/null; then
  echo "install-deps: the .NET 10 SDK is required (dotnet not found on PATH)" >&2
  exit 1
fi
