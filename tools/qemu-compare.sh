#!/bin/bash
# Compare one demo's console transcript under QEMU with capos-sim's, after
# removing what is target-specific. Prints a unified diff (sim vs qemu) and
# exits 1 when they differ.
#
# Usage: tools/qemu-compare.sh EXPECT SIM_TRANSCRIPT QEMU_TRANSCRIPT
#
# Target-specific, so filtered out of both sides (docs/boot-x86_64.md):
#   0x1234abcd  -> 0x?    every hexadecimal number: user addresses (where each
#                         HAL maps memory, so fault addresses and pointers)
#                         differ between targets
#   25 ms       -> N ms   a number before a time unit (ns, us, ms, s):
#                         measured durations differ from run to run
#   8061 frames -> N frames  a number of physical frames: how many there are
#                         depends on the machine (QEMU's RAM, capos-sim's pool)
# When the expect file matches lines `anywhere` (processes whose output
# interleaves in an order no target fixes), both sides are sorted first.
set -u
expect=$1 sim=$2 qemu=$3
filter() {
	sed -E -e 's/0x[0-9a-fA-F]+/0x?/g' -e 's/\b[0-9]+ (ns|us|ms|s)\b/N \1/g' \
		-e 's/\b[0-9]+ ((no )?(free )?frames)\b/N \1/g' "$1" |
		if grep -q '^anywhere ' "$expect"; then LC_ALL=C sort; else cat; fi
}
diff -u --label capos-sim --label qemu <(filter "$sim") <(filter "$qemu")
