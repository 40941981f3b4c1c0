#!/usr/bin/env bash
# Sets up a Debian 12 / Ubuntu machine for OvsLbController, as root. The one place the setup steps
# live: the Vagrantfile runs it to provision the lab VM, tests/install-deps.sh (and so .ci/run and
# tests/run.sh) runs it with --deps-only, and README.md lists the same steps.
#
# Steps, each skipped when its condition already holds (so a second run changes nothing):
#   packages  apt packages for OVS, Mininet, packet tools and script checks (--list prints them)
#   dotnet    the .NET 10 SDK, when `dotnet` has no 10.0 SDK: the distribution's dotnet-sdk-10.0
#             package when apt offers it, else Microsoft's dotnet-install.sh into /usr/share/dotnet
#   build     `dotnet build -c Release src/OvsLb.Controller`, when the build is missing or older
#             than a source file; afterwards `sudo lab/run.sh` runs the lab
#
# Usage: lab/provision.sh [--deps-only] [--check] | --list
#   --deps-only  packages and dotnet only (what the test suite needs before it builds itself)
#   --check      change nothing: print "ok STEP: ..." or "todo STEP: ..." per step; exit 1 when a
#                step has something to do
#   --list       print the apt packages, one per line
# The build honours OVSLB_ARTIFACTS (see Directory.Build.props) for an out-of-tree output.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
readonly args=("$@")

# The apt packages and, for each, the command whose presence shows it is installed (a tool built
# from source counts too). mininet is also checked by importing it with /usr/bin/python3.
# ":optional" marks a package skipped where the apt sources do not carry it (vagrant is only in
# some distributions' archives; only the test validating the Vagrantfile needs it).
# An entry whose "command" is a *.so.* name is a shared library, found by the dynamic linker's cache
# (ldconfig -p) instead of the PATH.
# Every package owning a program that tests/, lab/ or src/ run is here unless Debian marks it
# Essential or Priority: required (on every machine), also when another package pulls it in
# today: ProvisionedCommandsTests checks this with dpkg.
readonly PACKAGES=(
  # the lab: switch, topologies, packet tools
  openvswitch-switch:ovs-vswitchd
  openvswitch-common:ovs-ofctl
  # ovs-pki (openvswitch-common) runs it to make the CAs and certificates of the ssl: tests
  openssl:openssl
  mininet:mn
  tcpdump:tcpdump
  tshark:tshark
  # the test harness's live captures (SharpPcap) load libpcap; named here, not only through tcpdump's dependency
  libpcap0.8:libpcap.so.0.8
  iproute2:ip
  iputils-ping:ping
  iputils-arping:arping
  procps:sysctl
  python3:python3
  python3-minimal:python3
  # the test suite: reference controller, script linter, a two-connection client (affinity), Vagrantfile validation
  openvswitch-testcontroller:ovs-testcontroller
  shellcheck:shellcheck
  iperf3:iperf3
  # controller high availability (issue 13): the tests start private 3-member etcd clusters on loopback
  # ports of their own; etcdctl is their referee. The package's own service is switched off (etcd_service_off).
  etcd-server:etcd
  etcd-client:etcdctl
  vagrant:vagrant:optional
)
readonly DOTNET_CHANNEL=10.0
readonly DOTNET_DIR=/usr/share/dotnet

deps_only=false check=false
for arg in "$@"; do
  case $arg in
    --deps-only) deps_only=true ;;
    --check) check=true ;;
    --list) printf '%s\n' "${PACKAGES[@]%%:*}"; exit 0 ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "provision: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

todo=0
ok() { echo "ok   $1: $2"; }
# Reports a step with work to do; in --check mode that is all it does (returns 1: skip the work).
pending() {
  if $check; then
    echo "todo $1: $2"
    todo=1
    return 1
  fi
  echo "run  $1: $2"
}
need_root() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "provision: step '$1' needs root: sudo $0 ${args[*]}" >&2
    exit 1
  fi
}
have() {
  if [[ $1 == *.so.* ]]; then
    /sbin/ldconfig -p | grep -q "^[[:space:]]*$1 "
  else
    command -v "$1" >/dev/null 2>&1 || [[ -x /usr/sbin/$1 || -x /sbin/$1 ]]
  fi
}
apt_update() {
  export DEBIAN_FRONTEND=noninteractive
  # A fresh VM may still hold the dpkg lock (cloud-init, unattended-upgrades): wait for it.
  apt-get -o DPkg::Lock::Timeout=600 update -qq
}
apt_install() {
  # tshark asks whether non-root users may capture; answer no without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null
}
# Whether the apt sources offer a package (as of the last apt-get update).
apt_has() {
  local candidate
  candidate=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }')
  [[ -n $candidate && $candidate != "(none)" ]]
}
optional() {
  local entry
  for entry in "${PACKAGES[@]}"; do [[ $entry != "$1:"*":optional" ]] || return 0; done
  return 1
}
apt_lists_present() { compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; }

step_packages() {
  local entry pkg cmd missing=() unavailable=()
  for entry in "${PACKAGES[@]}"; do
    pkg=${entry%%:*} cmd=${entry#*:}
    cmd=${cmd%%:*}
    if have "$cmd" && { [[ $pkg != mininet ]] || /usr/bin/python3 -c 'import mininet' 2>/dev/null; }; then
      continue
    fi
    if optional "$pkg" && apt_lists_present && ! apt_has "$pkg"; then
      unavailable+=("$pkg")
    else
      missing+=("$pkg")
    fi
  done
  local note=""
  ((${#unavailable[@]} == 0)) || note=" (not in the apt sources, skipped: ${unavailable[*]})"
  if ((${#missing[@]} == 0)); then
    ok packages "all $((${#PACKAGES[@]} - ${#unavailable[@]})) present$note"
    return
  fi
  pending packages "install ${missing[*]}$note" || return 0
  need_root packages
  apt_update
  local install=()
  for pkg in "${missing[@]}"; do
    if apt_has "$pkg"; then
      install+=("$pkg")
    elif optional "$pkg"; then
      echo "     skipped $pkg: not in the apt sources"
    else
      echo "provision: package $pkg is not in the apt sources of $(sed -n 's/^PRETTY_NAME=//p' /etc/os-release)" >&2
      exit 1
    fi
  done
  if ((${#install[@]})); then
    apt_install "${install[@]}"
    echo "     installed ${install[*]}"
    if [[ " ${install[*]} " == *" etcd-server "* ]]; then etcd_service_off; fi
  fi
}

# etcd-server's postinst enables etcd.service and, where systemd runs, starts a default single member
# on 127.0.0.1:2379/2380 with data in /var/lib/etcd. Nothing here uses it (tests and the cluster mode
# run their own members), so it is disabled and stopped; where systemd does not run (containers, CI),
# policy-rc.d already kept it from starting and only the enablement link is removed.
etcd_service_off() {
  have systemctl || return 0
  if [[ -d /run/systemd/system ]]; then
    systemctl disable --now etcd.service >/dev/null 2>&1 || true
  else
    systemctl disable etcd.service >/dev/null 2>&1 || true
  fi
  echo "     etcd.service disabled (the tests start their own etcd members)"
}

dotnet_sdk() { have dotnet && dotnet --list-sdks 2>/dev/null | awk -v c="${DOTNET_CHANNEL%.*}." 'index($1, c) == 1 { v = $1 } END { if (v == "") exit 1; print v }'; }

step_dotnet() {
  local sdk
  if sdk=$(dotnet_sdk); then
    ok dotnet "SDK $sdk"
    return
  fi
  if apt_has "dotnet-sdk-$DOTNET_CHANNEL"; then
    pending dotnet "install dotnet-sdk-$DOTNET_CHANNEL (apt)" || return 0
    need_root dotnet
    apt_update
    apt_install "dotnet-sdk-$DOTNET_CHANNEL"
  else
    pending dotnet "install the $DOTNET_CHANNEL SDK with dotnet-install.sh into $DOTNET_DIR" || return 0
    need_root dotnet
    apt_update
    local icu
    icu=$(apt-cache pkgnames libicu | grep -E '^libicu[0-9]+$' | sort -V | tail -n 1)
    apt_install curl ca-certificates ${icu:+"$icu"}
    local script
    script=$(mktemp)
    curl -fsSL https://dot.net/v1/dotnet-install.sh -o "$script"
    bash "$script" --channel "$DOTNET_CHANNEL" --install-dir "$DOTNET_DIR" --no-path
    rm -f "$script"
    ln -sf "$DOTNET_DIR/dotnet" /usr/bin/dotnet
  fi
  sdk=$(dotnet_sdk) || { echo "provision: dotnet installed but it lists no $DOTNET_CHANNEL SDK" >&2; exit 1; }
  echo "     installed SDK $sdk"
}

step_build() {
  local dll
  if [[ -n ${OVSLB_ARTIFACTS:-} ]]; then
    dll=$OVSLB_ARTIFACTS/bin/OvsLb.Controller/release/ovslb.dll
  else
    dll=$repo/src/OvsLb.Controller/bin/Release/net10.0/ovslb.dll
  fi
  if [[ -f $dll ]] && [[ -z $(find "$repo/src" "$repo"/Directory.*.props "$repo/global.json" -type f \
      -newer "$dll" ! -path '*/bin/*' ! -path '*/obj/*' -print -quit) ]]; then
    ok build "$dll up to date"
    return
  fi
  pending build "dotnet build -c Release src/OvsLb.Controller -> $dll" || return 0
  if ! have dotnet; then
    echo "provision: step 'build' needs dotnet (run without --deps-only, or install the .NET $DOTNET_CHANNEL SDK)" >&2
    exit 1
  fi
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  # One build, so no MSBuild nodes or compiler server are left running afterwards.
  dotnet build "$repo/src/OvsLb.Controller" -c Release -nologo -v q -nodeReuse:false -p:UseSharedCompilation=false
  echo "     built $dll"
}

step_packages
step_dotnet
$deps_only || step_build

if $check; then exit "$todo"; fi
$deps_only || echo "provision: done; the lab runs with: sudo $repo/lab/run.sh"
