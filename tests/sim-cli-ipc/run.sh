#!/bin/bash
# IPC cases of capos-sim that end with a status other than success: two
# services that CALL each other (no timeout) before serving deadlock, and the
# simulator must end with status 123 and a kernel report naming the stuck
# processes. Prints TAP.
# Usage: tests/sim-cli-ipc/run.sh CAPOS_SIM MANIFEST_DIR
set -u
sim=$1 m=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

# deadlock NAME OPTIONS...: ipc-deadlock ends with 123, promptly, reporting
# the deadlock and every stuck process (init, alice, bob) by pid and name.
deadlock() {
	local name=$1
	shift
	local start got took problems=()
	start=$(date +%s%N)
	timeout -k 5 40 "$sim" "$@" --timeout 30 "$m/ipc-deadlock.bin" >"$work/out" 2>"$work/err" </dev/null
	got=$? took=$((($(date +%s%N) - start) / 1000000))
	[ "$got" = 123 ] || problems+=("exit $got, expected 123")
	[ "$took" -lt 10000 ] || problems+=("took $took ms")
	grep -qx '\[kernel\] deadlock: no process can run and none can be woken' "$work/out" ||
		problems+=("no deadlock report")
	for p in 'process 1 (init)' 'process 2 (alice)' 'process 3 (bob)'; do
		grep -q "^\[kernel\]   $p waits in cap_enter" "$work/out" || problems+=("the report does not name $p")
	done
	grep -qx 'alice: calling my peer before serving' "$work/out" && grep -qx 'bob: calling my peer before serving' "$work/out" ||
		problems+=("alice and bob did not both start their calls")
	! grep -q -- '-> ok' "$work/out" || problems+=("a call returned although its peer never serves")
	if [ ${#problems[@]} -eq 0 ]; then
		ok "$name"
	else
		not_ok "$name" "${problems[@]}" "--- console:" "$(head -20 "$work/out")" "--- stderr:" "$(head -5 "$work/err")"
	fi
}

deadlock "two services calling each other deadlock: status 123, report names init, alice, bob"
deadlock "the same deadlock with --fast" --fast
deadlock "the same deadlock with --gate=syscall" --gate=syscall
deadlock "the same deadlock with --deterministic" --deterministic

# The report is the same on every run (nothing in it depends on timing).
"$sim" --deterministic "$m/ipc-deadlock.bin" >"$work/d1" 2>&1 </dev/null
"$sim" --deterministic "$m/ipc-deadlock.bin" >"$work/d2" 2>&1 </dev/null
if cmp -s "$work/d1" "$work/d2"; then
	ok "--deterministic: the deadlock transcript repeats exactly"
else
	not_ok "--deterministic: the deadlock transcript repeats exactly" "$(diff "$work/d1" "$work/d2" | head -5)"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
