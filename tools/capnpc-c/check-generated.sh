#!/bin/sh
# Regenerate a schema's C code into a scratch directory and compare it with
# the checked-in copy; fail with "... is stale: run make generated" when they
# differ. Used by `make generated-code-check` (mk/capnpc.mk).
#
# Usage: check-generated.sh PLUGIN SCHEMA CHECKED_IN_DIR SCRATCH_DIR BANNER
#   BANNER is the command line written at the top of the generated files
#   (CAPNPC_C_COMMAND); it must be the one `make generated` uses.
set -eu
plugin=$1 schema=$2 dir=$3 scratch=$4 banner=$5
name=$(basename "$schema")

rm -rf "$scratch"
mkdir -p "$scratch"
CAPNPC_C_COMMAND=$banner capnp compile --src-prefix="$(dirname "$schema")/" \
	-o"$plugin:$scratch" "$schema"

stale=0
for ext in h c; do
	if ! cmp -s "$dir/$name.$ext" "$scratch/$name.$ext"; then
		stale=1
		diff -u "$dir/$name.$ext" "$scratch/$name.$ext" 2>&1 | head -n 40 || true
	fi
done
if [ "$stale" -ne 0 ]; then
	echo "$dir is stale: run make generated" >&2
	exit 1
fi
echo "$dir is up to date with $schema"
