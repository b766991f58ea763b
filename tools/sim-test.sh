#!/bin/bash
# Boot demos in capos-sim and check their transcripts. Prints TAP.
#
# Usage: tools/sim-test.sh CAPOS_SIM MANIFEST_DIR TESTS_DIR [NAME...]
#
# Each test is a directory TESTS_DIR/NAME holding an `expect` file; it boots
# MANIFEST_DIR/NAME.bin once per mode and checks what the OS printed (stdout,
# the console) and how it exited. `expect` lines:
#
#   # a comment
#   modes confined fast syscall   modes to run (default: confined fast)
#   exit N                        the exit status capos-sim must return
#   line TEXT                     a console line exactly TEXT, after the previous match
#   match REGEX                   a console line matching REGEX (grep -E), after the previous match
#   anywhere TEXT                 a console line exactly TEXT, in any position
#                                 (for processes whose output interleaves)
#   absent TEXT                   no console line contains TEXT
#   stdin FILE                    console input (FILE in the test's directory; default: none)
#   option OPTION                 an extra capos-sim option (repeatable)
#   host-absent PATH              a host file that must not exist after the run
#                                 (removed before it; for escape attempts)
#   qemu-memory SIZE              the QEMU machine's RAM for this test (default 128M)
#
# Modes: confined (the default: Syscall User Dispatch, direct gate), fast
# (--fast), syscall (--gate=syscall), valgrind (--fast under valgrind memcheck,
# which must report no error and no definite leak).
#
# qemu: boot the manifest on the x86_64 kernel image under QEMU
# (tools/qemu-run.sh; `option` lines, being capos-sim options, do not apply).
# Runs only when SIM_TEST_MODES names it (make test-qemu), with
# SIM_TEST_QEMU_IMAGE set to the image. Besides the expect file's checks, the
# transcript must equal capos-sim's (confined mode, same input) once
# tools/qemu-compare.sh has removed what is target-specific. A test whose
# modes do not list qemu is reported as skipped, with its "# not qemu:"
# comment as the reason.
set -u
sim=$1 manifests=$2 tests=$3
shift 3
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for d in "$tests"/*/; do names+=("$(basename "$d")"); done
fi
filter_modes=${SIM_TEST_MODES:-}   # e.g. SIM_TEST_MODES=valgrind: run only these modes
timeout=${SIM_TEST_TIMEOUT:-30}
qemu_image=${SIM_TEST_QEMU_IMAGE:-}
tools_dir=$(dirname "$0")

n=0 failed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mode_flags() {
	case $1 in
	confined) echo "" ;;
	fast) echo "--fast" ;;
	syscall) echo "--gate=syscall" ;;
	valgrind) echo "--fast" ;;
	esac
}

# check NAME MODE STATUS OUT: compare one run against the expect file.
check() {
	local name=$1 mode=$2 status=$3 out=$4 expect=$tests/$1/expect
	local want_exit="" pos=0 problems=()
	while IFS= read -r l || [ -n "$l" ]; do
		local kw=${l%% *} arg=${l#* } found
		case $kw in
		exit) want_exit=$arg ;;
		line | match)
			# The first matching line after the previous match, in one pass.
			if [ "$kw" = line ]; then
				found=$(awk -v s="$arg" -v p="$pos" 'NR > p && $0 == s { print NR; exit }' "$out")
			else
				found=$(tail -n +$((pos + 1)) "$out" | grep -nE -m1 -- "$arg" | cut -d: -f1)
				[ -n "$found" ] && found=$((found + pos))
			fi
			if [ -z "$found" ]; then problems+=("missing (in order): $kw $arg"); else pos=$found; fi
			;;
		anywhere)
			if ! grep -Fxq -- "$arg" "$out"; then problems+=("missing: $arg"); fi
			;;
		absent)
			if grep -Fq -- "$arg" "$out"; then problems+=("present but must not be: $arg"); fi
			;;
		host-absent)
			if [ -e "$arg" ]; then problems+=("the run created $arg on the host"); fi
			;;
		esac
	done < <(grep -v -E '^\s*(#|$)' "$expect")
	if [ -n "$want_exit" ] && [ "$status" != "$want_exit" ]; then
		problems+=("exit status $status, expected $want_exit")
	fi
	n=$((n + 1))
	if [ ${#problems[@]} -eq 0 ]; then
		echo "ok $n - $name ($mode)"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name ($mode)"
		for p in "${problems[@]}"; do echo "#   $p"; done
		echo "#   --- console:"
		sed 's/^/#   | /' "$out" | head -40
		echo "#   --- stderr:"
		sed 's/^/#   | /' "$out.err" | head -20
	fi
}

for name in "${names[@]}"; do
	expect=$tests/$name/expect
	if [ ! -f "$expect" ]; then
		n=$((n + 1)); failed=$((failed + 1))
		echo "not ok $n - $name (no $expect)"
		continue
	fi
	modes=$(awk '$1 == "modes" { $1 = ""; print }' "$expect")
	[ -n "$modes" ] || modes="confined fast"
	# ---- qemu mode: say why a test does not run there ----
	if [[ " $filter_modes " == *" qemu "* ]] && [[ " $modes " != *" qemu "* ]]; then
		reason=$(sed -n 's/^# not qemu: *//p' "$expect" | head -1)
		echo "# skip $name (qemu): not in its modes${reason:+: $reason}"
	fi
	# ---- end qemu mode ----
	stdin=$(awk '$1 == "stdin" { print $2 }' "$expect")
	mapfile -t options < <(awk '$1 == "option" { $1 = ""; sub(/^ /, ""); print }' "$expect")
	qemu_memory=$(awk '$1 == "qemu-memory" { print $2 }' "$expect")
	for mode in $modes; do
		if [ -n "$filter_modes" ] && [[ " $filter_modes " != *" $mode "* ]]; then continue; fi
		if [ "$mode" = qemu ] && [[ " $filter_modes " != *" qemu "* ]]; then continue; fi
		out=$work/$name.$mode
		awk '$1 == "host-absent" { print $2 }' "$expect" | while read -r p; do rm -rf -- "$p"; done
		input=/dev/null
		[ -n "$stdin" ] && input=$tests/$name/$stdin
		runner=()
		if [ "$mode" = valgrind ]; then
			runner=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)
		fi
		if [ "$mode" = qemu ]; then
			# ---- qemu mode: boot under QEMU, then compare with capos-sim ----
			timeout -k 5 $((timeout + 10)) "$tools_dir/qemu-run.sh" --timeout "$timeout" \
				--memory "${qemu_memory:-128M}" "$qemu_image" "$manifests/$name.bin" <"$input" >"$out" 2>"$out.err"
			status=$?
			check "$name" "$mode" "$status" "$out"
			# A test for QEMU alone (no capos-sim mode) has nothing to compare.
			[[ " $modes " =~ \ (confined|fast|syscall|valgrind)\  ]] || continue
			timeout -k 5 $((timeout + 10)) "$sim" --timeout "$timeout" "$manifests/$name.bin" \
				<"$input" >"$out.sim" 2>/dev/null
			n=$((n + 1))
			if diffs=$("$tools_dir/qemu-compare.sh" "$expect" "$out.sim" "$out"); then
				echo "ok $n - $name (qemu transcript = capos-sim's)"
			else
				failed=$((failed + 1))
				echo "not ok $n - $name (qemu transcript = capos-sim's)"
				printf '%s\n' "$diffs" | head -40 | sed 's/^/#   /'
			fi
			continue
		fi
		# ---- end qemu mode ----
		# shellcheck disable=SC2046
		timeout -k 5 $((timeout + 10)) "${runner[@]}" "$sim" $(mode_flags "$mode") --timeout "$timeout" \
			"${options[@]}" "$manifests/$name.bin" <"$input" >"$out" 2>"$out.err"
		status=$?
		check "$name" "$mode" "$status" "$out"
		if [ "$mode" = valgrind ] && grep -q '^==[0-9]*==' "$out.err"; then
			n=$((n + 1)); failed=$((failed + 1))
			echo "not ok $n - $name (valgrind reported)"
			sed 's/^/#   /' "$out.err" | head -30
		fi
	done
done
echo "1..$n"
[ "$failed" -eq 0 ]
