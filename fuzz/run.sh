#!/bin/sh
# Run one libFuzzer harness (docs/fuzzing.md).
#
#   fuzz/run.sh smoke BINARY CORPUS WORKDIR   FUZZ_SMOKE_SECONDS of fuzzing from CORPUS (every
#                                             input in it runs first, so crash-* regression
#                                             inputs are checked every time); new inputs go to
#                                             a fresh WORKDIR/new, never into the source tree
#   fuzz/run.sh long BINARY CORPUS WORKDIR    until interrupted, or FUZZ_SECONDS if > 0; keeps
#                                             its growing corpus in WORKDIR/corpus across runs
#
# Crash, leak, timeout and out-of-memory reproducers go to WORKDIR/artifacts/.
# The exit status is libFuzzer's: 0 when the time ran out with no finding.
set -u
mode=$1 bin=$2 corpus=$3 work=$4

# A finding must stop the run with the input saved: UBSan aborts, ASan too.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:abort_on_error=1:detect_leaks=1:quarantine_size_mb=64:malloc_context_size=20"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:print_stacktrace=1:halt_on_error=1"
common="-timeout=20 -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix=$work/artifacts/"

case $mode in
smoke)
	rm -rf "$work"
	mkdir -p "$work/new" "$work/artifacts"
	echo "corpus: $(ls "$corpus" | wc -l) inputs in $corpus"
	# A fixed seed: the same build and corpus mutate the same way every time.
	# shellcheck disable=SC2086
	"$bin" $common -seed="${FUZZ_SMOKE_SEED:-1}" -max_total_time="${FUZZ_SMOKE_SECONDS:-45}" \
		"$work/new" "$corpus"
	status=$?
	;;
long)
	mkdir -p "$work/corpus" "$work/artifacts"
	limit=
	[ "${FUZZ_SECONDS:-0}" -gt 0 ] && limit="-max_total_time=$FUZZ_SECONDS"
	# shellcheck disable=SC2086
	"$bin" $common $limit ${FUZZ_FLAGS:-} "$work/corpus" "$corpus"
	status=$?
	;;
*)
	echo "usage: fuzz/run.sh smoke|long BINARY CORPUS WORKDIR" >&2
	exit 2
	;;
esac
if [ "$status" -ne 0 ]; then
	echo "fuzz/run.sh: $(basename "$bin"): libFuzzer exited with status $status; reproducers:"
	ls -l "$work/artifacts" 2>/dev/null
fi
exit "$status"
