#!/bin/sh
# Print every failed suite and the one-line summary "N passed, M failed";
# exit non-zero when anything failed or when no suite reported at all.
set -eu
results=$1
if [ ! -s "$results" ]; then
	echo "0 passed, 1 failed (no test suite reported a result)"
	exit 1
fi
passed=$(grep -c '^PASS ' "$results" || true)
failed=$(grep -c '^FAIL ' "$results" || true)
if [ "$failed" -ne 0 ]; then
	echo "failed suites:"
	grep '^FAIL ' "$results" | sed 's/^FAIL /  /'
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
