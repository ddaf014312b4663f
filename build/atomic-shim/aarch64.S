// __atomic_compare_exchange(size_t size, void *ptr, void *expected, void *desired,
//                           int success_order, int failure_order) -> bool
// libatomic's generic compare-and-swap, for the sizes it does without a lock: 4 and 8 bytes,
// naturally aligned. Load-acquire/store-release exclusives (ARMv8.0, no LSE needed), the
// strongest order asked for. Any other size or alignment would need libatomic's lock table: it
// stops with udf (SIGILL) rather than be silently non-atomic. Position-independent, no stack.
// Assembled by build/atomic-shim/assemble.sh; the bytes are in build/libatomic-compat.ts.
	.text
	.globl	shim
shim:
	cmp	x0, #8
	b.eq	8f
	cmp	x0, #4
	b.ne	9f
	tst	x1, #3
	b.ne	9f
	ldr	w4, [x2]
	ldr	w5, [x3]
1:	ldaxr	w6, [x1]
	cmp	w6, w4
	b.ne	2f
	stlxr	w7, w5, [x1]
	cbnz	w7, 1b
	mov	w0, #1
	ret
2:	clrex
	str	w6, [x2]
	mov	w0, #0
	ret
8:	tst	x1, #7
	b.ne	9f
	ldr	x4, [x2]
	ldr	x5, [x3]
3:	ldaxr	x6, [x1]
	cmp	x6, x4
	b.ne	4f
	stlxr	w7, x5, [x1]
	cbnz	w7, 3b
	mov	w0, #1
	ret
4:	clrex
	str	x6, [x2]
	mov	w0, #0
	ret
9:	udf	#0
