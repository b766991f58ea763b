/*
 * crt0.S - the entry point of every capOS user program. The kernel enters
 * with the CapSet page address in rdi and the stack set up as if _start had
 * been called; align it and hand over to C.
 */
	.text
	.globl	_start
	.type	_start, @function
_start:
	xorl	%ebp, %ebp
	andq	$-16, %rsp
	call	capos_start
	ud2
	.size	_start, . - _start

	.section .note.GNU-stack, "", @progbits
