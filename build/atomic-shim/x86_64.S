# __atomic_compare_exchange(size_t size, void *ptr, void *expected, void *desired,
#                           int success_order, int failure_order) -> bool
# libatomic's generic compare-and-swap, for the sizes it does without a lock: 4 and 8 bytes,
# naturally aligned (lock cmpxchg is sequentially consistent, the strongest order asked for).
# Any other size or alignment would need libatomic's lock table: it stops with ud2 (SIGILL)
# rather than be silently non-atomic. Position-independent, no stack, no data.
# Assembled by build/atomic-shim/assemble.sh; the bytes are in build/libatomic-compat.ts.
	.text
	.globl	shim
shim:
	cmp	$8, %rdi
	je	8f
	cmp	$4, %rdi
	jne	9f
	test	$3, %sil
	jnz	9f
	mov	(%rdx), %eax
	mov	(%rcx), %r10d
	lock cmpxchg %r10d, (%rsi)
	je	1f
	mov	%eax, (%rdx)
1:	sete	%al
	ret
8:	test	$7, %sil
	jnz	9f
	mov	(%rdx), %rax
	mov	(%rcx), %r10
	lock cmpxchg %r10, (%rsi)
	je	2f
	mov	%rax, (%rdx)
2:	sete	%al
	ret
9:	ud2
