#!/usr/bin/env bash
# Installs what the test suite needs on Debian/Ubuntu (run as root): the apt packages and the .NET 10
# SDK, when missing. The list and the steps live in lab/provision.sh (also the Vagrant provisioner),
# so CI, the README and the lab VM install the same things. Idempotent: does nothing when every
# tool is already present.
set -euo pipefail
exec "$(dirname "$0")/../lab/provision.sh" --deps-only
