#!/bin/bash
# Boot capOS under QEMU: the x86_64 kernel image with a manifest as its boot
# module, COM1 as the console on this script's stdin/stdout. Exits with the
# same statuses as capos-sim (docs/host-hal.md): init's exit code, or 120 bad
# manifest, 121 kernel panic, 122 timeout, 123 deadlock, 124 init faulted,
# 125 internal error (including a ledger that did not balance, a triple
# fault, or QEMU failing to start).
#
# Usage: tools/qemu-run.sh [options] IMAGE MANIFEST
#   --timeout SECS   end the run (status 122) after SECS seconds
#   --trace          pass "trace" to the kernel; the debug channel goes to stderr
#   --debug FILE     write the debug channel (QEMU's debugcon, port 0xe9) to FILE
#   --append WORDS   more words for the kernel command line
#   --memory SIZE    the machine's RAM (QEMU's -m; default 128M)
#   --print-accel    only say which accelerator a run would use, on stdout
#
# Uses KVM when /dev/kvm is usable, else TCG, and says which on stderr.
# End of input: when stdin is not a terminal, a 0x04 (EOT) byte is sent after
# it, which the kernel reads as the end of console input (as a terminal's ^D);
# see hal-x86_64/serial.c.
set -u
qemu=${QEMU:-qemu-system-x86_64}
timeout=0 debug="" append="" print_accel=0 memory=128M
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) timeout=$2; shift 2 ;;
	--trace) append="$append trace"; debug=${debug:-/dev/stderr}; shift ;;
	--debug) debug=$2; shift 2 ;;
	--append) append="$append $2"; shift 2 ;;
	--memory) memory=$2; shift 2 ;;
	--print-accel) print_accel=1; shift ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "qemu-run: unknown option '$1'" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	accel=(-accel kvm -cpu host)
	accel_note="qemu-run: accelerator: KVM"
else
	# -cpu max: every feature TCG emulates, including NX, SMEP, SMAP, XSAVE.
	accel=(-accel tcg -cpu max)
	accel_note="qemu-run: accelerator: TCG (no usable /dev/kvm)"
fi
if [ "$print_accel" = 1 ]; then
	echo "$accel_note"
	exit 0
fi
echo "$accel_note" >&2

if [ $# -ne 2 ]; then
	echo "usage: tools/qemu-run.sh [--timeout SECS] [--trace] [--debug FILE] [--memory SIZE] IMAGE MANIFEST" >&2
	exit 2
fi
image=$1 manifest=$2
for f in "$image" "$manifest"; do
	if [ ! -r "$f" ]; then echo "qemu-run: cannot read '$f'" >&2; exit 120; fi
done
case $manifest in *,*)
	echo "qemu-run: the manifest path may not contain a comma (QEMU's -initrd splits on it)" >&2; exit 2 ;;
esac

debugcon=()
if [ -n "$debug" ]; then
	[ "$debug" = /dev/stderr ] || : >"$debug" # QEMU appends (so that stderr works)
	# shellcheck disable=SC2054  # QEMU's option values contain commas
	debugcon=(-chardev "file,id=debugcon,path=$debug,append=on" -device isa-debugcon,iobase=0xe9,chardev=debugcon)
fi

# shellcheck disable=SC2054
cmd=("$qemu" -nodefaults -machine pc -m "$memory" -smp 1 "${accel[@]}"
	-display none -vga none -monitor none -no-reboot
	-chardev stdio,id=com1 -serial chardev:com1
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 "${debugcon[@]}"
	-kernel "$image" -initrd "$manifest" -append "capos${append}")
runner=()
[ "$timeout" != 0 ] && runner=(timeout -k 5 "$timeout")

if [ -t 0 ]; then
	"${runner[@]}" "${cmd[@]}"
else
	{ cat; printf '\004'; } | "${runner[@]}" "${cmd[@]}"
fi
rc=$?

# The kernel exits through isa-debug-exit with status+1, which QEMU reports
# as 2 * (status + 1) + 1 (hal-x86_64/panic.c).
if [ "$timeout" != 0 ] && [ $rc -eq 124 ]; then
	echo "qemu-run: timeout: the system did not end in $timeout seconds" >&2
	exit 122
fi
if [ $rc -ge 3 ] && [ $((rc % 2)) -eq 1 ]; then
	exit $(((rc - 3) / 2))
fi
echo "qemu-run: QEMU ended with status $rc without the kernel's exit status (a triple fault, or QEMU failed)" >&2
exit 125
