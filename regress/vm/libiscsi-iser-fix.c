/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * libiscsi-iser-fix.so: an LD_PRELOAD object for iscsi-test-cu in the
 * guest (regress/vm/scenarios/iser-cu.sh) that works around defects of
 * libiscsi 1.19's iSER code (Debian 12) fixed upstream: two memory
 * errors,
 *
 *   - iscsi_init_iser_transport() allocates the iSER connection state
 *     with malloc and reads fields it never set: iser_reg_mr() walks a
 *     stale tx descriptor list on RDMA_CM_EVENT_ESTABLISHED and crashes,
 *     or a stale state ends the connect, depending on what the heap held
 *     (fixed in 1.20.0, b4ba920, by allocating it zeroed).  Here malloc
 *     hands out zeroed memory.
 *   - iser_prepare_read_cmd() allocates a read's buffer with malloc at
 *     the expected transfer length, and the PDU's free gives a buffer of
 *     at most the small-allocation size back to the small-allocation
 *     cache, which later hands it out as a full-size block: a heap
 *     overflow ("corrupted double-linked list", crashes in free; fixed
 *     in 1.20.1, 2934d64).  Here every context is created with the
 *     cache off (iscsi_set_cache_allocations(ctx, 0), libiscsi's own
 *     switch), so those buffers go back to free.
 *
 *
 * and a third: its synchronous calls poll the connection for a second
 * at a time and call iscsi_service(ctx, 0) when nothing came, which the
 * iSER transport answers with the error "revents is not POLLIN", so
 * that every command slower than a second (TCG, a loaded machine)
 * fails over iSER (later versions treat 0 as "look at the CM events").
 * Here iscsi_service() with no event returns 0 (libiscsi calls it
 * through its PLT, so the preload sees those calls too).  The scenario
 * preloads this for the iSER runs only.
 *
 * glibc's MALLOC_PERTURB_ would zero allocations too, but also fills
 * freed blocks, which turns a later use after free of libiscsi's into
 * an abort.  The libiscsi symbols are looked up at run time, so the
 * object loads into any program (the scripts around iscsi-test-cu).
 */

#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

struct iscsi_context;

void	*__libc_malloc(size_t);

void *
malloc(size_t n)
{
	void	*p;

	if ((p = __libc_malloc(n)) != NULL)
		memset(p, 0, n);
	return (p);
}

struct iscsi_context *
iscsi_create_context(const char *name)
{
	struct iscsi_context	*(*create)(const char *);
	void			 (*cache)(struct iscsi_context *, int);
	struct iscsi_context	*ctx;

	if ((create = (struct iscsi_context *(*)(const char *))
	    dlsym(RTLD_NEXT, "iscsi_create_context")) == NULL)
		return (NULL);
	cache = (void (*)(struct iscsi_context *, int))
	    dlsym(RTLD_NEXT, "iscsi_set_cache_allocations");
	if ((ctx = create(name)) != NULL && cache != NULL)
		cache(ctx, 0);
	return (ctx);
}

int
iscsi_service(struct iscsi_context *ctx, int revents)
{
	int	 (*service)(struct iscsi_context *, int);

	if (revents == 0)
		return (0);
	if ((service = (int (*)(struct iscsi_context *, int))
	    dlsym(RTLD_NEXT, "iscsi_service")) == NULL)
		return (-1);
	return (service(ctx, revents));
}
