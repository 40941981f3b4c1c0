#!/usr/bin/env bash
# Installs what the test suite needs on Debian/Ubuntu (run as root): the apt packages and the .NET 10
# SDK, when missing. The list and the steps live in lab/provision.sh (also the Vagrant provisioner),
# so CI, the README and the lab VM install the same things. Idempotent: does nothing when every
# tool is already present.
set -euo pipefail
"$(dirname "$0")/../lab/provision.sh" --deps-only

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
