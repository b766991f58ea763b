/*
 * default_manifest.S - the manifest capos-sim boots when given none, built
 * from user/default.manifest by mkmanifest and embedded here.
 * DEFAULT_MANIFEST is the path of that manifest.bin (set by mk/sim.mk).
 */
	.section .rodata
	.balign	8
	.globl	capos_default_manifest
	.globl	capos_default_manifest_end
capos_default_manifest:
	.incbin	DEFAULT_MANIFEST
capos_default_manifest_end:

	.section .note.GNU-stack, "", @progbits
