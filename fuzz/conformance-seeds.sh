#!/bin/sh
# Copy the conformance suite's messages into the capn_reader corpus as seeds
# (tests/conformance: every case, built by the C side, and by libcapnp when
# the reference program is there): scalars, defaults, unions, every list
# kind, far and double-far pointers, capabilities, upgraded structs.
#
# Usage: fuzz/conformance-seeds.sh CONF_C [REF] OUTDIR
set -eu
confc=$1
if [ $# -eq 3 ]; then ref=$2 out=$3; else ref= out=$2; fi
mkdir -p "$out"
for c in scalars bools defaults-unset defaults-set pointers lists unions far caps upgrade-old2new \
	upgrade-new2old; do
	"$confc" write "$c" "$out/seed-conf-c-$c"
	[ -n "$ref" ] && "$ref" write "$c" "$out/seed-conf-ref-$c"
done
exit 0
