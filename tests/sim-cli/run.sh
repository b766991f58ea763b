#!/bin/bash
# capos-sim as a command: options, exit statuses, bad manifests, --timeout,
# and repeatable transcripts. Prints TAP.
# Usage: tests/sim-cli/run.sh CAPOS_SIM MANIFEST_DIR
set -u
sim=$1 m=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

# expect NAME STATUS STDERR_SUBSTRING -- COMMAND...: status and a one-line error.
expect() {
	local name=$1 want=$2 text=$3
	shift 4
	"$@" >"$work/out" 2>"$work/err" </dev/null
	local got=$?
	if [ "$got" != "$want" ]; then not_ok "$name" "exit $got, expected $want" "$(head -3 "$work/err")"; return; fi
	if [ -n "$text" ] && ! grep -qF -- "$text" "$work/err" "$work/out"; then
		not_ok "$name" "no '$text' in: $(cat "$work/err" "$work/out" | head -3)"; return
	fi
	ok "$name"
}

expect "--help prints the options and exits 0" 0 "" -- "$sim" --help
grep -q -- '--deterministic' "$work/out" && grep -q -- '--timeout' "$work/out" ||
	not_ok "--help lists --deterministic and --timeout"
expect "an unknown option exits 2" 2 "unknown or incomplete option '--bogus'" -- "$sim" --bogus
expect "--timeout without a number exits 2" 2 "unknown or incomplete option '--timeout'" -- "$sim" --timeout
expect "--timeout with a bad number exits 2" 2 "--timeout needs a positive number" -- "$sim" --timeout x
expect "a missing manifest exits 120 with one line" 120 "cannot read manifest '$work/none.bin'" -- "$sim" "$work/none.bin"
: >"$work/empty.bin"
expect "an empty manifest exits 120" 120 "is empty" -- "$sim" "$work/empty.bin"
head -c 100 "$m/c-hello.bin" >"$work/trunc.bin"
expect "a truncated manifest is rejected by the kernel" 120 "[kernel] manifest rejected: message truncated" -- "$sim" "$work/trunc.bin"
cp "$m/c-hello.bin" "$work/corrupt.bin"
printf '\xff\xff\xff\x7f' | dd of="$work/corrupt.bin" bs=1 seek=16 conv=notrunc 2>/dev/null
expect "a corrupted manifest is rejected by the kernel" 120 "[kernel] manifest rejected:" -- "$sim" "$work/corrupt.bin"
expect "a file that is not a manifest is rejected" 120 "[kernel] manifest rejected:" -- "$sim" /etc/passwd

# --timeout ends a system that waits for input that never comes.
start=$(date +%s%N)
"$sim" --timeout 1 "$m/wait-input.bin" >"$work/out" 2>"$work/err" < <(sleep 20)
got=$? took=$((($(date +%s%N) - start) / 1000000))
if [ "$got" = 122 ] && [ "$took" -lt 10000 ] && grep -q 'timeout' "$work/err"; then
	ok "--timeout 1 ends a waiting system with status 122"
else
	not_ok "--timeout 1 ends a waiting system with status 122" "exit $got after ${took} ms: $(cat "$work/err")"
fi
printf 'one\ntwo\n' | "$sim" "$m/wait-input.bin" >"$work/out" 2>&1
if [ $? = 0 ] && grep -qx 'wait-input: got \[one\]' "$work/out" && grep -qx 'wait-input: got \[two\]' "$work/out"; then
	ok "console input reaches the program; the end of input ends it"
else
	not_ok "console input reaches the program; the end of input ends it" "$(cat "$work/out")"
fi

# The same run, the same transcript: exact with --deterministic, even for a
# program that prints timings; c-hello needs no option at all.
"$sim" --deterministic >"$work/d1" 2>&1
"$sim" --deterministic >"$work/d2" 2>&1
if cmp -s "$work/d1" "$work/d2" && grep -q 'the clock moved 20 ms' "$work/d1"; then
	ok "--deterministic: the default system's transcript repeats exactly"
else
	not_ok "--deterministic: the default system's transcript repeats exactly" "$(diff "$work/d1" "$work/d2" | head -5)"
fi
for i in 1 2 3; do "$sim" "$m/c-hello.bin" >"$work/c$i" 2>&1; done
if cmp -s "$work/c1" "$work/c2" && cmp -s "$work/c1" "$work/c3"; then
	ok "c-hello's transcript is the same on every run"
else
	not_ok "c-hello's transcript is the same on every run"
fi

# --trace: one line per capability call, on stderr, not in the transcript.
"$sim" --trace "$m/c-hello.bin" >"$work/out" 2>"$work/err"
if grep -qx '\[trace\] pid 1 c-hello: cap 0x00010000 Console.writeLine -> ok' "$work/err" && ! grep -q trace "$work/out"; then
	ok "--trace prints each call on stderr"
else
	not_ok "--trace prints each call on stderr" "$(cat "$work/err")"
fi
echo "1..$n"
[ "$failed" -eq 0 ]
