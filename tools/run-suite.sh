#!/bin/sh
# Run one test suite and record its results for tools/test-summary.sh.
#
# Usage: tools/run-suite.sh RESULTS NAME COMMAND [ARGS...]
#
# The command's output goes to build/test-logs/NAME.log. A suite that speaks TAP
# ("ok N - case" / "not ok N - case", as cmocka does with
# CMOCKA_MESSAGE_OUTPUT=TAP) records one result per case; any other suite
# records one result from its exit status. A suite that exits non-zero always
# records a failure, even if every case it printed passed (a crash mid-run).
set -u
results=$1 name=$2
shift 2
logdir=$(dirname "$results")/test-logs
mkdir -p "$logdir"
log="$logdir/$name.log"

CMOCKA_MESSAGE_OUTPUT=TAP "$@" >"$log" 2>&1
status=$?

cases=$(grep -E '^(not )?ok [0-9]+' "$log" | sed -E \
	-e "s/^ok [0-9]+ - ?(.*)$/PASS $name\/\1/" \
	-e "s/^not ok [0-9]+ - ?(.*)$/FAIL $name\/\1/")
if [ -n "$cases" ]; then
	printf '%s\n' "$cases" >>"$results"
	[ "$status" -ne 0 ] && ! printf '%s\n' "$cases" | grep -q '^FAIL' &&
		echo "FAIL $name (exit status $status)" >>"$results"
else
	if [ "$status" -eq 0 ]; then echo "PASS $name" >>"$results"; else echo "FAIL $name" >>"$results"; fi
fi
npass=$(printf '%s\n' "$cases" | grep -c '^PASS' || true)
nfail=$(printf '%s\n' "$cases" | grep -c '^FAIL' || true)
if [ "$status" -eq 0 ]; then
	echo "  ok    $name ${cases:+($npass passed)}"
else
	echo "  FAIL  $name ${cases:+($npass passed, $nfail failed)} (exit $status) -- log: $log"
	tail -n 20 "$log" | sed 's/^/        /'
fi
exit 0
