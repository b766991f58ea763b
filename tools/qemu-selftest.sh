#!/bin/bash
# Prove the x86_64 HAL's protections in kernel mode: boot once per self-test
# (hal-x86_64/selftest.c), each breaking one rule the CPU must refuse, and
# check that the machine stopped with a kernel panic (status 121) naming the
# right fault, registers included. Prints TAP.
#
# Usage: tools/qemu-selftest.sh IMAGE MANIFEST
set -u
image=$1 manifest=$2
run=$(dirname "$0")/qemu-run.sh
n=0 failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# name | a console line the panic must print (grep -E)
cases=(
	"smap|^\[x86\] PANIC: page fault \(vector 14, error 0x1\) in kernel mode$"
	"smep|^\[x86\] PANIC: page fault \(vector 14, error 0x11\) in kernel mode$"
	"nx|^\[x86\] PANIC: page fault \(vector 14, error 0x11\) in kernel mode$"
	"wp|^\[x86\] PANIC: page fault \(vector 14, error 0x3\) in kernel mode$"
	"stack|^\[x86\] PANIC: double fault \(vector 8, error 0x0\) in kernel mode$"
	"kpanic|^\[kernel\] PANIC: self-test: the kernel's own panic$"
)
for c in "${cases[@]}"; do
	name=${c%%|*} want=${c#*|}
	out=$work/$name
	"$run" --timeout 30 --append "selftest=$name" "$image" "$manifest" </dev/null >"$out" 2>"$out.err"
	status=$?
	n=$((n + 1))
	problems=()
	[ "$status" -eq 121 ] || problems+=("exit status $status, expected 121 (panic)")
	grep -Eq -- "$want" "$out" || problems+=("missing: $want")
	grep -Eq '^\[x86\] cr0 [0-9a-f]{16} cr2 ' "$out" || problems+=("no register dump")
	if [ ${#problems[@]} -eq 0 ]; then
		echo "ok $n - selftest $name"
	else
		failed=$((failed + 1))
		echo "not ok $n - selftest $name"
		for p in "${problems[@]}"; do echo "#   $p"; done
		sed 's/^/#   | /' "$out" | head -20
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
