#!/bin/bash
# profile-ipc.sh CAPOS_SIM BENCH_DIR OUT - the driver of `make profile-ipc`
# (bench/README.md, docs/performance.md).
#
# Runs bench/profile.manifest in capos-sim --fast under callgrind (valgrind
# cannot run the confined mode): the benchmark switches collection on for
# N Echo.ping round trips only (after a warm-up), so everything in the
# profile is the IPC path: both processes' libcapos code, the gate, the
# kernel and the switch back. valgrind has no symbols for the user images
# (the kernel loads them from the manifest, not from files), so their
# functions are named here from the load addresses the programs print and
# the ELF files' debug information, as "function(user:program)".
# Writes OUT (callgrind format) and prints the top five functions.
set -euo pipefail
# shellcheck source=bench/elf.sh
. "$(dirname "$0")/elf.sh"

sim=$1
dir=$2
out=$3
log=$dir/profile.log
raw=$out.raw

fail() {
	echo "profile-ipc: $*" >&2
	exit 1
}

command -v valgrind >/dev/null || fail "valgrind is not installed (make deps)"
status=0
valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$raw" \
	"$sim" --fast "$dir/profile.bin" >"$log" 2>&1 || status=$?
[ "$status" -eq 0 ] || fail "valgrind capos-sim failed (status $status): $(tail -3 "$log")"
n=$(awk '/round trips collected/ { print $2 }' "$log")
[ -n "$n" ] || fail "no round trips collected: $(tail -3 "$log")"

# Map "0x..." function names inside a user image to "name(user:program)".
map=$dir/profile.names
: >"$map"
while read -r _ prog base; do
	elf=$dir/capos-$prog.elf
	span=$(elf_span "$elf")
	addrs=()
	offs=()
	for a in $(grep -oE '^c?fn=\([0-9]+\) 0x[0-9a-f]+$' "$raw" | awk '{ print $2 }' | sort -u); do
		if [ $((a)) -ge $((base)) ] && [ $((a - base)) -lt "$span" ]; then
			addrs+=("$a")
			offs+=("$(printf '0x%x' $((a - base)))")
		fi
	done
	[ "${#addrs[@]}" -gt 0 ] || continue
	i=0
	while read -r fn; do
		echo "${addrs[$i]} $fn(user:$prog)" >>"$map"
		i=$((i + 1))
	done < <(addr2line -f -e "$elf" "${offs[@]}" | awk 'NR % 2 == 1')
done < <(grep '^base ' "$log")

awk 'NR == FNR { name[$1] = $2; next }
	/^c?fn=\([0-9]+\) 0x[0-9a-f]+$/ && ($2 in name) { print $1 " " name[$2]; next }
	{ print }' "$map" "$raw" >"$out"
rm -f "$raw"

all=$dir/profile.annotate
callgrind_annotate --auto=no --threshold=100 "$out" 2>/dev/null |
	awk '/^ *[0-9,]+ +\( *[0-9.]+%\)  / && !/PROGRAM TOTALS/' >"$all"
incl=$dir/profile.inclusive
callgrind_annotate --auto=no --inclusive=yes --threshold=100 "$out" 2>/dev/null |
	awk '/^ *[0-9,]+ +\( *[0-9.]+%\)  / && !/PROGRAM TOTALS/' >"$incl"
total=$(awk '{ gsub(",", "", $1); s += $1 } END { print s }' "$all")

echo "make profile-ipc: $n Echo.ping round trips, capos-sim --fast under callgrind"
echo "profile: $out ($total instructions, $((total / n)) per round trip)"
echo
echo "top five functions by exclusive cost (instructions executed in the function itself):"
head -5 "$all" | awk -v n="$n" '{ c = $1; gsub(",", "", c); fn = $0; sub(/^ *[0-9,]+ +\( *[0-9.]+%\) +/, "", fn)
	sub(/ \[.*\]$/, "", fn); printf "  %d. %-58s %6.2f%%  %5.0f per round trip\n", NR, fn, 100 * c / '"$total"', c / n }'
echo
echo "where the instructions go, by layer (exclusive cost):"
awk -v n="$n" -v total="$total" '{
	c = $1; gsub(",", "", c)
	if ($0 ~ /\(user:/) k = "user: libcapos and the programs"
	else if ($0 ~ /hal_host_gate|hal_host_resume|host_enter_user|switch\.S/) k = "switch: gate, kernel entry and resume"
	else if ($0 ~ /hal-host\//) k = "host HAL: user-memory checks, clock"
	else if ($0 ~ /(kernel|schema|common)\//) k = "kernel"
	else if ($0 ~ /libc\.so|ld-linux/) k = "glibc: memcpy, memset, clock_gettime"
	else k = "other (vDSO, unnamed)"
	s[k] += c }
	END { for (k in s) if (100 * s[k] / total >= 0.01) printf "%.2f|%s|%.0f\n", 100 * s[k] / total, k, s[k] / n }' "$all" |
	sort -t'|' -k1,1 -rn | awk -F'|' '{ printf "  %-44s %6.2f%%  %5d per round trip\n", $2, $1, $3 }'
echo
echo "inclusive cost of the kernel's IPC functions (callees included):"
awk -v n="$n" -v total="$total" '
	/kernel\/syscall\.c:kernel_trap_syscall|kernel\/ring\.c:ring_process|kernel\/ring\.c:op_call|endpoint\.c:endpoint_(call|recv|return)|kernel\/sched\.c:sched_next|kernel\/ring\.c:ring_complete/ {
		if ($0 !~ /\[/) next   # callgrind_annotate lists some twice
		c = $1; gsub(",", "", c); fn = $0; sub(/^ *[0-9,]+ +\( *[0-9.]+%\) +/, "", fn); sub(/ \[.*\]$/, "", fn)
		if (seen[fn]++) next
		printf "  %-44s %6.2f%%  %5.0f per round trip\n", fn, 100 * c / total, c / n }' "$incl"

# Kernel entries per round trip, by program (call counts cover the warm-up
# too, so they are divided by the round trips they cover).
echo
awk '
	/^fn=\(/ { id = $1; sub(/^fn=/, "", id); if (NF > 1) name[id] = $2; fn = name[id] }
	/^cfn=\(/ { id = $1; sub(/^cfn=/, "", id); if (NF > 1) name[id] = $2; cfn = name[id] }
	/^calls=/ { split($1, a, "="); c[fn " " cfn] += a[2] }
	END {
		rt = c["ipc_batch(user:bench) cap_call_ex(user:bench)"]
		if (!rt) exit
		# Entries of each side: every call of its gate, from anywhere in libcapos.
		for (k in c) {
			if (k ~ / gate\(user:bench\)$/) client += c[k]
			if (k ~ / gate\(user:echo\)$/) server += c[k]
		}
		printf "kernel entries per round trip: %.2f (client %.2f, server %.2f); blocking waits: %.2f\n",
		       c["hal_host_gate_c kernel_trap_syscall"] / rt, client / rt, server / rt,
		       c["kernel_trap_syscall sched_block_in_enter"] / rt
	}' "$out"
echo "full listing: callgrind_annotate $out (or $all)"

# The real-time view: instruction counts miss what is slow per instruction
# (the clock read, the switch's control-register and FS writes). Sampled
# with perf's cpu-clock in the confined mode, where valgrind cannot go.
echo
pdata=$dir/profile-perf.data
if ! command -v perf >/dev/null; then
	echo "real time by layer (perf): skipped, perf is not installed"
elif ! perf record -q -e cpu-clock -F 10000 -o "$pdata" "$sim" "$dir/profile-perf.bin" >"$dir/profile-perf.log" 2>&1; then
	echo "real time by layer (perf): skipped, perf record failed: $(tail -1 "$dir/profile-perf.log")"
else
	echo "real time by layer (perf cpu-clock samples, confined mode, 1,000,000 round trips):"
	perf report -i "$pdata" --stdio --no-children --sort dso,sym 2>/dev/null | awk '/^ +[0-9.]+%/ {
		pct = $1; sub(/%/, "", pct); d = $2; sym = $NF
		if (d ~ /capos-sim/) {
			if (sym ~ /^(hal_host_gate|hal_host_gate_c|hal_host_resume|host_enter_user)$/) k = "switch: gate, kernel entry and resume"
			else if (sym ~ /^(hal_|host_)/) k = "host HAL: user-memory checks, clock"
			else k = "kernel"
		} else if (d ~ /JIT|unknown|anon/) k = "user: libcapos and the programs"
		else if (d ~ /vdso/) k = "vDSO: clock_gettime (kvm-clock here)"
		else if (d ~ /kernel\.kallsyms/) k = "Linux kernel (timer interrupts, faults)"
		else if (d ~ /libc/) k = "glibc: memcpy, memset, clock_gettime"
		else k = "other"
		s[k] += pct }
		END { for (k in s) if (s[k] >= 0.05) printf "%.2f|%s\n", s[k], k }' |
		sort -t'|' -k1,1 -rn | awk -F'|' '{ printf "  %-44s %6.2f%%\n", $2, $1 }'
	echo "top ten symbols by samples (user code and vDSO offsets stay unnamed):"
	perf report -i "$pdata" --stdio --no-children --sort dso,sym 2>/dev/null |
		awk '/^ +[0-9.]+%/ && ++k <= 10 { print "  " $0 }'
fi
