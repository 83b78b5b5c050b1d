/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * zero-malloc.so: an LD_PRELOAD object whose malloc() hands out zeroed
 * memory.  For regress/vm/scenarios/iser-cu.sh, in the guest: libiscsi
 * 1.19 (Debian 12) allocates its iSER connection state with malloc and
 * reads fields of it it never set (a tx descriptor list head walked in
 * iser_reg_mr() on RDMA_CM_EVENT_ESTABLISHED, which crashes, or a stale
 * connection state), depending on what the heap held before.  libiscsi
 * 1.20 allocates it zeroed (upstream commit b4ba920); this does the
 * same for the whole program without touching freed memory (glibc's
 * MALLOC_PERTURB_ would also fill freed blocks, which turns a further
 * use after free of libiscsi's into an abort).
 */

#include <stddef.h>
#include <string.h>

void	*__libc_malloc(size_t);

void *
malloc(size_t n)
{
	void	*p;

	if ((p = __libc_malloc(n)) != NULL)
		memset(p, 0, n);
	return (p);
}
