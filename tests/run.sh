#!/usr/bin/env bash
# The one test command: builds the solution and runs every test project, including the tests that
# start their own Open vSwitch (category Ovs). Ends with one line "N passed, N failed, N skipped".
#   tests/run.sh                 everything
#   tests/run.sh --filter EXPR   passes a dotnet test filter (e.g. "TestCategory!=Ovs")
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

tests/install-deps.sh || exit 1

filter=()
if [[ "${1:-}" == "--filter" && -n "${2:-}" ]]; then filter=(--filter "$2"); fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT

dotnet build OvsLbController.sln -c Release -nologo -v q 2>&1 | tee -a "$log" | grep -E "error|warn" 
if [[ ${PIPESTATUS[0]} -ne 0 ]]; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

dotnet test OvsLbController.sln -c Release --no-build -nologo "${filter[@]}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

# Sum the per-project summaries: "Passed!  - Failed:     0, Passed:    21, Skipped:     0, ..."
read -r passed failed skipped < <(grep -E "(Passed|Failed)! +- Failed: " "$log" | sed -E 's/.*Failed: +([0-9]+), Passed: +([0-9]+), Skipped: +([0-9]+).*/\2 \1 \3/' |
  awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
if [[ $rc -ne 0 && $failed -eq 0 ]]; then failed=1; fi   # a crashed test host counts as a failure
if [[ $skipped -gt 0 ]]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit "$rc"
