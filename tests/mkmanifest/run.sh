#!/bin/sh
# mkmanifest tests: one case per rejection, plus a good manifest and --print.
# Usage: run.sh MKMANIFEST TINY_ELF DYNAMIC_ELF   (prints TAP)
set -u
mk=$1 tiny=$2 dyn=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$tiny" "$work/tiny.elf"
cp "$dyn" "$work/dynamic.elf"
printf 'not an elf\n' >"$work/notelf.elf"
printf '127.0.0.1 localhost\n' >"$work/hosts"
# One byte over the documented 4 MiB file limit.
head -c $((4 * 1024 * 1024 + 1)) /dev/zero >"$work/big.dat"

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "#   $l"; done; }

# A manifest with the given services/binaries/files fragments.
manifest() {
	cat >"$work/m.txt" <<EOT
# test manifest
( version = 1,
  services = [ $1 ],
  binaries = [ $2 ],
  files = [ $3 ] )
EOT
}

# expect_fail NAME EXPECTED_SUBSTRING...: mkmanifest must fail with exactly
# one line on stderr naming the manifest file and containing each substring.
expect_fail() {
	name=$1
	shift
	if "$mk" -o "$work/out.bin" "$work/m.txt" 2>"$work/err" >/dev/null; then
		not_ok "$name" "mkmanifest accepted it"
		return
	fi
	lines=$(wc -l <"$work/err")
	msg=$(cat "$work/err")
	if [ "$lines" -ne 1 ]; then
		not_ok "$name" "expected one line of error, got $lines: $msg"
		return
	fi
	case "$msg" in
	"mkmanifest: $work/m.txt"*) ;;
	*) not_ok "$name" "error does not name the manifest file: $msg"; return ;;
	esac
	for want in "$@"; do
		case "$msg" in
		*"$want"*) ;;
		*) not_ok "$name" "missing '$want' in: $msg"; return ;;
		esac
	done
	ok "$name"
}

init='(name = "init", binary = "tiny", caps = [(name = "console", interface = "Console", source = (kernel = console))])'
tinybin='(name = "tiny", path = "tiny.elf")'

# --- the good case, and --print
manifest "$init, (name = \"echo\", binary = \"tiny\", exports = [(name = \"ipc\", interface = \"Console\")]),
          (name = \"client\", binary = \"tiny\", args = [\"a\", \"b c\"],
           caps = [(name = \"log\", interface = \"Console\", badge = 7, source = (service = (service = \"echo\", export = \"ipc\")))])" \
	"$tinybin" '(path = "/etc/hosts", hostPath = "hosts")'
if "$mk" -o "$work/out.bin" "$work/m.txt" 2>"$work/err"; then
	ok "good manifest is accepted"
	if "$mk" --print "$work/out.bin" >"$work/print" 2>&1 &&
		grep -q '^service init (binary tiny)$' "$work/print" &&
		grep -q 'cap console .*Console .*<- kernel console' "$work/print" &&
		grep -q 'cap log .*Console .*<- service echo.ipc  badge 7' "$work/print" &&
		grep -q 'export ipc .*Console' "$work/print" &&
		grep -q 'args "a" "b c"' "$work/print" &&
		grep -q "^binary tiny: $(wc -c <"$work/tiny.elf") bytes, static-PIE x86_64" "$work/print" &&
		grep -q '^file /etc/hosts: 20 bytes$' "$work/print"; then
		ok "--print shows services, caps, exports, binaries and files"
	else
		not_ok "--print shows services, caps, exports, binaries and files" "$(cat "$work/print")"
	fi
	# The reference decoder agrees with what we wrote.
	if capnp decode "$(dirname "$0")/../../schema/capos.capnp" Manifest <"$work/out.bin" 2>&1 |
		grep -q 'interfaceId = 11596695971688724575'; then
		ok "capnp decode reads the written manifest (interface id resolved)"
	else
		not_ok "capnp decode reads the written manifest (interface id resolved)"
	fi
else
	not_ok "good manifest is accepted" "$(cat "$work/err")"
	not_ok "--print shows services, caps, exports, binaries and files"
	not_ok "capnp decode reads the written manifest (interface id resolved)"
fi

# --- each rejection of issue 2, item 8
manifest "$init" '(name = "tiny", path = "missing.elf")' ''
expect_fail "missing binary file" "service 'init'" "binary 'tiny'" "missing.elf" "No such file"

manifest "$init" '(name = "tiny", path = "notelf.elf")' ''
expect_fail "binary that is not an ELF" "service 'init'" "not a static-PIE x86_64 ELF" "not an ELF file"

manifest "$init" '(name = "tiny", path = "dynamic.elf")' ''
expect_fail "dynamically linked binary" "service 'init'" "not a static-PIE x86_64 ELF" "dynamically linked"

manifest "$init, $init" "$tinybin" ''
expect_fail "two services with one name" "service 'init'" "defined twice"

manifest '(name = "init", binary = "tiny", caps = [(name = "x", interface = "Console", source = (service = (service = "nobody", export = "ipc")))])' "$tinybin" ''
expect_fail "grant from an unknown service" "service 'init'" "cap 'x'" "unknown source service 'nobody'"

manifest "$init, (name = \"b\", binary = \"tiny\", caps = [(name = \"x\", interface = \"Console\", source = (service = (service = \"init\", export = \"nope\")))])" "$tinybin" ''
expect_fail "grant of an export the source lacks" "service 'b'" "cap 'x'" "exports no 'nope'"

manifest '(name = "init", binary = "tiny", caps = [(name = "x", interface = "Frobnicator", source = (kernel = console))])' "$tinybin" ''
expect_fail "grant of an unknown interface" "service 'init'" "cap 'x'" "unknown interface 'Frobnicator'"

manifest '(name = "init", binary = "tiny", caps = [(name = "x", interface = "Timer", source = (kernel = console))])' "$tinybin" ''
expect_fail "grant whose interface differs from its source" "service 'init'" "cap 'x'" "granted as Timer but its source provides Console"

manifest "$init" "$tinybin" '(path = "/big", hostPath = "big.dat")'
expect_fail "file too large" "file '/big'" "big.dat" "4194305 bytes, over the 4194304-byte limit"

# --- further rejections a user would expect
manifest '(name = "init", binary = "nosuch")' "$tinybin" ''
expect_fail "service naming an unknown binary" "service 'init'" "unknown binary 'nosuch'"

manifest "$init" "$tinybin" '(path = "etc/hosts", hostPath = "hosts")'
expect_fail "relative file path in the tree" "file 'etc/hosts'" "not an absolute, normalised path"

manifest "$init" "$tinybin" '(path = "/a", hostPath = "hosts"), (path = "/a", hostPath = "hosts")'
expect_fail "one file listed twice" "file '/a'" "listed twice"

manifest '(name = "init", binary = "tiny", caps = [(name = "c", interface = "Console", source = (kernel = console)), (name = "c", interface = "Console", source = (kernel = console))])' "$tinybin" ''
expect_fail "one cap name granted twice" "service 'init'" "cap 'c'" "granted twice"

manifest '(name = "init", binary = "tiny", quota = (outstandingCalls = 4097))' "$tinybin" ''
expect_fail "quota over the kernel's limit" "service 'init'" "quota outstandingCalls 4097 (limit 4096)"

manifest '(name = "init", binary = "tiny", quota = (capSlots = 100000))' "$tinybin" ''
expect_fail "cap table over the kernel's limit" "service 'init'" "quota capSlots 100000 (limit 4096)"

manifest "$init" "$tinybin" ''
sed -i 's/version = 1/version = 1, bogus = 2/' "$work/m.txt"
expect_fail "text that is not a Manifest" "m.txt:2:" "no field named 'bogus'"

echo "1..$n"
[ "$failed" -eq 0 ]
