#!/bin/sh
# Run the Cap'n Proto conformance pairs and print TAP, one result per case and
# direction:
#
#   ref-to-c CASE     libcapnp builds CASE (ref write), the C runtime reads it
#                     with the generated accessors and checks every value
#   c-to-ref CASE     the C runtime builds CASE, libcapnp reads and checks it
#                     (and compares it whole with the message it builds itself)
#   text-to-c CASE    `capnp encode` turns text/CASE.txt into a message, the C
#                     runtime reads and checks it
#   c-to-text CASE    `capnp decode` of the C-built message must print exactly
#                     text/CASE.txt
#   ref-to-text CASE  the same for the libcapnp-built message (keeps the text
#                     files honest: they spell the values of values.h)
#   bytes CASE        for messages whose layout the encoding fixes completely
#                     (no pointers below the root), the C and libcapnp bytes
#                     are identical
#
# Capabilities have no text form, so "caps" runs in the binary directions only.
#
# Usage: run.sh REF CONF_C SCHEMA TEXTDIR WORKDIR   ($CAPNP names the capnp tool)
set -u
ref=$1 confc=$2 schema=$3 textdir=$4 work=$5
capnp=${CAPNP:-capnp}
mkdir -p "$work"

# case:root type of its text form ("-" for none)
cases="
scalars:Scalars
bools:Bools
defaults-unset:Defaults
defaults-set:Defaults
pointers:Pointers
lists:Lists
unions:UnionSet
far:Big
caps:-
upgrade-old2new:OldHolder
upgrade-new2old:NewHolder
"
same_bytes="scalars bools defaults-unset"

n=0
failed=0
result() { # status name [log]
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
		[ -n "${3:-}" ] && [ -s "$3" ] && sed 's/^/# /' "$3"
	fi
}

for entry in $cases; do
	c=${entry%%:*} type=${entry#*:}
	log="$work/$c.log"

	"$ref" write "$c" "$work/$c.ref.bin" >"$log" 2>&1 &&
		"$confc" read "$c" "$work/$c.ref.bin" ref >>"$log" 2>&1
	result $? "ref-to-c $c" "$log"

	"$confc" write "$c" "$work/$c.c.bin" >"$log" 2>&1 &&
		"$ref" read "$c" "$work/$c.c.bin" c >>"$log" 2>&1
	result $? "c-to-ref $c" "$log"

	case " $same_bytes " in
	*" $c "*)
		cmp "$work/$c.ref.bin" "$work/$c.c.bin" >"$log" 2>&1
		result $? "bytes $c" "$log"
		;;
	esac

	[ "$type" = "-" ] && continue
	txt="$textdir/$c.txt"

	"$capnp" encode "$schema" "$type" <"$txt" >"$work/$c.enc.bin" 2>"$log" &&
		"$confc" read "$c" "$work/$c.enc.bin" >>"$log" 2>&1
	result $? "text-to-c $c" "$log"

	{ "$capnp" decode "$schema" "$type" <"$work/$c.c.bin" >"$work/$c.c.txt" &&
		diff -u "$txt" "$work/$c.c.txt"; } >"$log" 2>&1
	result $? "c-to-text $c" "$log"

	{ "$capnp" decode "$schema" "$type" <"$work/$c.ref.bin" >"$work/$c.ref.txt" &&
		diff -u "$txt" "$work/$c.ref.txt"; } >"$log" 2>&1
	result $? "ref-to-text $c" "$log"
done

echo "1..$n"
[ "$failed" -eq 0 ]
