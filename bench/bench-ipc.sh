#!/bin/bash
# bench-ipc.sh CAPOS_SIM BENCH_DIR - the driver of `make bench-ipc`
# (bench/README.md, docs/performance.md).
#
# Runs BENCH_ROUNDS rounds (default 12). Each round runs, in a random order,
# capos-sim in confined mode (the default), in --fast mode and with
# --gate=syscall, each booting bench/ipc.manifest (ipc-syscall.manifest for
# the last), and the Linux baseline (linux-bench). Every program prints one "S metric ns count" line per timed batch; the table
# shows the median of the batch means over all rounds, the middle half
# (25th-75th percentile) as a noise figure, and the ratio of capOS's median
# to the Linux baseline's. Then it measures what a process costs in memory
# (bench/mem.manifest). PASS/MISS against the issue's targets is printed
# for information only: this is not a test.
set -euo pipefail
# shellcheck source=bench/elf.sh
. "$(dirname "$0")/elf.sh"

sim=$1
dir=$2
rounds=${BENCH_ROUNDS:-12}
linux_batches=${BENCH_LINUX_BATCHES:-50}
linux_n=${BENCH_LINUX_N:-200}
linux_spawn_n=${BENCH_LINUX_SPAWN_N:-4}
samples=$dir/bench-ipc.samples
: >"$samples"

fail() {
	echo "bench-ipc: $*" >&2
	exit 1
}

# run TAG COMMAND...: run one program, keep its samples under TAG.
run() {
	local tag=$1 out status=0
	shift
	out=$("$@" 2>&1) || status=$?
	if [ "$status" -ne 0 ]; then
		printf '%s\n' "$out" | tail -5 >&2
		fail "'$*' failed (exit status $status)"
	fi
	printf '%s\n' "$out" | awk -v t="$tag" '$1 == "S" && $2 != "warmup" && $4 > 0 { printf "%s.%s %.3f\n", t, $2, $3 / $4 }' >>"$samples"
}

run_one() {
	case $1 in
	confined) run confined "$sim" "$dir/ipc.bin" ;;
	fast) run fast "$sim" --fast "$dir/ipc.bin" ;;
	syscall) run syscall "$sim" --gate=syscall "$dir/ipc-syscall.bin" ;;
	linux) run linux "$dir/linux-bench" "$linux_batches" "$linux_n" "$linux_spawn_n" \
		"$dir/true-nostdlib" "$dir/true-glibc" ;;
	esac
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
start=$(date +%s)
for ((r = 0; r < rounds; r++)); do
	printf '\rbench-ipc: round %d of %d ' $((r + 1)) "$rounds" >&2
	for what in $(shuf -e confined linux fast syscall); do
		run_one "$what"
	done
done
printf '\r%40s\r' '' >&2
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# "key median p25 p75 count p10" for every key.
stats=$dir/bench-ipc.stats
sort -k1,1 -k2,2g "$samples" | awk '
	function flush() {
		if (n) printf "%s %.1f %.1f %.1f %d %.1f\n", key, (v[int((n + 1) / 2)] + v[int(n / 2) + 1]) / 2,
		              v[int(n / 4) + 1], v[int((3 * n + 3) / 4)], n, v[int(n / 10) + 1]
	}
	$1 != key { flush(); key = $1; n = 0 }
	{ v[++n] = $2 }
	END { flush() }' >"$stats"

median() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "$stats"; }
spread() {
	awk -v k="$1" '$1 == k { printf "%10.0f %10.0f-%-10.0f %5d\n", $6, $3, $4, $5; f = 1 } END { if (!f) print "-" }' "$stats"
}

# Nanoseconds as ns, us or ms.
human() {
	awk -v x="$1" 'BEGIN {
		if (x >= 1e6) printf "%.2f ms", x / 1e6
		else if (x >= 1e4) printf "%.1f us", x / 1e3
		else if (x >= 1e3) printf "%.2f us", x / 1e3
		else printf "%.0f ns", x }'
}

# row LABEL CAPOS_KEY LINUX_LABEL LINUX_KEY [TARGET]: one line of the table;
# TARGET is the largest ratio the issue allows (omitted: information only).
row() {
	local c l ratio verdict=""
	c=$(median "$2")
	l=$(median "$4")
	ratio=$(awk -v c="$c" -v l="$l" 'BEGIN { if (l > 0) printf "%.3f", c / l; else print "-" }')
	if [ -n "${5:-}" ]; then
		verdict=$(awk -v r="$ratio" -v t="$5" 'BEGIN { printf "<= %-5s %s", t, (r != "-" && r <= t) ? "PASS" : "MISS" }')
	fi
	printf '%-36s %10s  %-24s %10s  %7s  %s\n' "$1" "$(human "$c")" "$3" "$(human "$l")" "$ratio" "$verdict"
}

echo "make bench-ipc: $(date '+%Y-%m-%d %H:%M'), $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo))"
echo "$rounds rounds, capOS and Linux interleaved; $(( $(date +%s) - start )) s; load average $load_before before, $load_after after"
echo "each figure: the median over all rounds of per-batch means (capOS batches, bench/ipc.manifest: 500 calls"
echo "or 4 spawns; Linux batches: $linux_n round trips or $linux_spawn_n spawns); ratio = capOS / Linux"
echo
printf '%-36s %10s  %-24s %10s  %7s  %s\n' "capOS" "median" "Linux baseline" "median" "ratio" "target"
row "IPC round trip, --fast" fast.ipc "pipe ping-pong" linux.pipe 0.1
row "IPC round trip, confined (default)" confined.ipc "pipe ping-pong" linux.pipe 1
row "spawn+wait trivial program, confined" confined.spawn "posix_spawn+waitpid" linux.spawn 0.1
echo "information:"
row "IPC round trip, --fast" fast.ipc "pipe, one CPU" linux.pipe_1cpu
row "IPC round trip, confined" confined.ipc "futex, two threads" linux.futex
row "IPC round trip, confined" confined.ipc "eventfd, two threads" linux.eventfd
row "IPC round trip, --gate=syscall" syscall.ipc "pipe ping-pong" linux.pipe
row "NullCap.nop call, confined" confined.null "getppid system call" linux.syscall
row "NullCap.nop call, --fast" fast.null "getppid system call" linux.syscall
row "NullCap.nop call, --gate=syscall" syscall.null "getppid system call" linux.syscall
row "Timer.now call, confined" confined.timer "getppid system call" linux.syscall
row "spawn+wait trivial program, --fast" fast.spawn "posix_spawn+waitpid" linux.spawn
row "spawn+wait trivial program, confined" confined.spawn "  ... static glibc" linux.spawn_glibc
echo
echo "noise, over the batch means, in ns: 10th percentile (nearest a quiet machine), 25th-75th, batches"
for k in confined.ipc fast.ipc syscall.ipc confined.null confined.spawn linux.pipe linux.pipe_1cpu \
	linux.futex linux.eventfd linux.syscall linux.spawn; do
	printf '  %-16s %s\n' "$k" "$(spread "$k")"
done

# ------------------------------------------------------------ memory

# capos-sim's memory, in one pass over /proc/PID/smaps ("kind KiB" lines):
# "resident" is the Pss of every mapping: each process's user memory is a
# memfd window mapped twice (the process's view and the kernel's,
# hal-host/mem.c), and Pss counts a page mapped twice once, where Rss (and
# VmRSS) would count it twice. "mapped" is the size of the accessible
# mappings without the kernel's views: a kernel view is a window's one
# mapping of the whole window, read-write (a process's view is always split:
# at least its uncarved tail is inaccessible). The kinds:
# "windows" (user memory in windows), "chunks" (other anonymous memory: user
# mappings too big for a window, the simulator's own stacks), "kernel"
# (glibc's heap: the kernel's records) and "files".
smaps_kinds() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { perms = $2; path = NF >= 6 ? $6 : ""; next }
		/^Size:/ {
			if (perms == "---p" || perms == "---s") next
			if (path ~ /^\/memfd:capos-window/ && perms == "rw-s" && $2 == 8192) next
			s["mapped"] += $2 }
		/^Pss:/ {
			s["resident"] += $2
			if (path == "[heap]") k = "kernel"
			else if (path ~ /^\/memfd:capos-window/) k = "windows"
			else if (path != "") k = "files"
			else k = "chunks"
			s[k] += $2 }
		END { for (k in s) print k, s[k] }' "/proc/$1/smaps"
}

memout=$dir/mem.out
"$sim" "$dir/mem.bin" >"$memout" 2>&1 &
simpid=$!
mark_n=()
mark_rss=()
mark_map=()
seen=0
while kill -0 "$simpid" 2>/dev/null; do
	marks=$(grep -c '^M ' "$memout" || true)
	if [ "$marks" -gt "$seen" ]; then
		seen=$marks
		f=$dir/mem.smaps.${#mark_n[@]}
		smaps_kinds "$simpid" >"$f" 2>/dev/null || true
		mark_n+=("$(grep '^M ' "$memout" | sed -n "${marks}p" | cut -d' ' -f2)")
		mark_rss+=("$(awk '$1 == "resident" { print $2 }' "$f")")
		mark_map+=("$(awk '$1 == "mapped" { print $2 }' "$f")")
	fi
	sleep 0.05
done
wait "$simpid" || fail "the memory run failed: $(tail -3 "$memout")"
[ "${#mark_n[@]}" -ge 2 ] || fail "the memory run printed too few marks: $(tail -3 "$memout")"

last=$((${#mark_n[@]} - 1))
n=${mark_n[$last]}
per_rss=$(awk -v a="${mark_rss[0]}" -v b="${mark_rss[$last]}" -v n="$n" 'BEGIN { printf "%.1f", (b - a) / n }')
per_map=$(awk -v a="${mark_map[0]}" -v b="${mark_map[$last]}" -v n="$n" 'BEGIN { printf "%.1f", (b - a) / n }')

# The layout the kernel gives each process (kernel/proc.c build_image).
span=$(elf_span "$dir/capos-idle.elf")
image_kib=$(((span + 4095) / 4096 * 4))
tls_kib=4 # one page (more only for a TLS block over 4 KiB less the TCB)
eval "$("$dir/sizes" | awk '$1 == "K" { printf "k_%s=%s; kr_%s=%s\n", $2, $3, $2, $4 }')"
kernel_rec=$((kr_struct_proc + kr_cap_table + kr_hal_ctx + kr_fpu_area))
reserved=$((image_kib + 4 + k_stack / 1024 + 4 + k_heap / 1024 + 12 + 4))
target=$((image_kib + k_stack / 1024 + 12 + (kernel_rec + 1023) / 1024))

echo
echo "memory per process: $n idle processes (bench-idle, no capabilities), confined mode"
printf '  %-44s %s\n' "marks (processes: resident KiB, mapped KiB):" \
	"$(for i in "${!mark_n[@]}"; do printf '%s: %s, %s  ' "${mark_n[$i]}" "${mark_rss[$i]}" "${mark_map[$i]}"; done)"
printf '  %-44s %s KiB\n' "resident (Pss growth / process)" "$per_rss"
printf '  %-44s %s\n' "  of which (by mapping, /proc/PID/smaps)" "$(awk -v n="$n" '
	NR == FNR { a[$1] = $2; next } { b[$1] = $2 }
	END { split("windows chunks kernel", order, " ")
		split("user memory (windows),other anonymous,kernel records (glibc heap)", label, ",")
		for (i = 1; i <= 3; i++) printf "%s %.1f  ", label[i], (b[order[i]] - a[order[i]]) / n }' \
	"$dir/mem.smaps.0" "$dir/mem.smaps.$last")"
printf '  %-44s %s KiB\n' "mapped, accessible (growth / process)" "$per_map"
printf '  %-44s %s KiB = image %s + TLS %s + stack 256 + guard 4 + heap %s + ring 12 + CapSet 4\n' \
	"reserved by the kernel's layout" "$reserved" "$image_kib" "$tls_kib" $((k_heap / 1024))
printf '  %-44s %s B = struct proc %s (slab %s) + cap table %s (pages %s) + hal_ctx %s + FPU area %s\n' \
	"kernel records (allocated)" "$kernel_rec" "$k_struct_proc" "$kr_struct_proc" "$k_cap_table" \
	"$kr_cap_table" "$k_hal_ctx" "$k_fpu_area"
printf '  %-44s %s KiB (image %s + stack 256 + ring 12 + kernel records)\n' "the issue's bound" "$target" "$image_kib"
awk -v r="$per_rss" -v m="$reserved" -v t="$target" 'BEGIN {
	printf "  touched memory within the bound: %s; reserved address space within it: %s (the 4 MiB heap reserve, TLS and CapSet pages are extra)\n",
	       (r <= t) ? "PASS" : "MISS", (m <= t) ? "PASS" : "MISS" }'
echo
echo "samples: $samples, medians: $stats"
