#!/usr/bin/env bash
# Fails if any process started by test run RUN_ID is still alive: every child the test harness starts carries
# EIO_TEST_RUN=RUN_ID in its environment. This script and its ancestors (which may have been started with the
# same variable) are not counted.
set -uo pipefail
run_id=${1:?usage: check-no-strays.sh RUN_ID}
needle="EIO_TEST_RUN=$run_id"

declare -A ours=()
pid=$$
while [ -n "$pid" ] && [ "$pid" != 0 ]; do
  ours[$pid]=1
  pid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
done

strays=()
for dir in /proc/[0-9]*; do
  pid=${dir#/proc/}
  [ -n "${ours[$pid]:-}" ] && continue
  # Read the NUL-separated environment with builtins only, so no helper process of ours shows up.
  found=
  while IFS= read -r -d '' var; do
    if [ "$var" = "$needle" ]; then found=1; break; fi
  done 2>/dev/null < "$dir/environ"
  # Children of this script (command substitutions) share its environment; skip them too.
  ppid=
  while IFS= read -r line; do
    case $line in PPid:*) ppid=${line#PPid:}; ppid=${ppid//[[:space:]]/}; break ;; esac
  done 2>/dev/null < "$dir/status"
  [ -n "$found" ] && [ "$ppid" != "$$" ] && strays+=("$pid")
done

if [ ${#strays[@]} -eq 0 ]; then
  echo "no processes left from test run $run_id"
  exit 0
fi
echo "processes left running by test run $run_id:" >&2
for pid in "${strays[@]}"; do
  cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)
  echo "  pid $pid: ${cmd:-?}" >&2
done
exit 1
