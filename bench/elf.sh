# elf.sh - sourced by the benchmark drivers (bench-ipc.sh, profile-ipc.sh).

# elf_span FILE: the bytes a static-PIE's LOAD segments span from address 0
# (the image the kernel maps, kernel/loader.c).
elf_span() {
	local span=0 type vaddr memsz e
	while read -r type _ vaddr _ _ memsz _; do
		[ "$type" = LOAD ] || continue
		e=$((vaddr + memsz))
		[ "$e" -gt "$span" ] && span=$e
	done < <(readelf -lW "$1")
	echo "$span"
}
