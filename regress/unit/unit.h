/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * A very small unit test harness.  A test file defines test functions and
 * a main() that calls UNIT_RUN(fn) for each, then returns UNIT_END().
 * Output: "ok NAME" / "FAIL NAME: file:line: expr" per test, then
 * "unit NAME: N passed, N failed".
 */

#ifndef TGT_UNIT_H
#define TGT_UNIT_H

#include <stdio.h>
#include <stdlib.h>

static int unit_failed_now, unit_npass, unit_nfail;

#define CHECK(e) do {							\
	if (!(e)) {							\
		printf("  %s:%d: CHECK(%s) failed\n", __FILE__,		\
		    __LINE__, #e);					\
		unit_failed_now = 1;					\
	}								\
} while (0)

#define REQUIRE(e) do {							\
	if (!(e)) {							\
		printf("  %s:%d: REQUIRE(%s) failed\n", __FILE__,	\
		    __LINE__, #e);					\
		unit_failed_now = 1;					\
		return;							\
	}								\
} while (0)

#define UNIT_RUN(fn) do {						\
	unit_failed_now = 0;						\
	fn();								\
	if (unit_failed_now) {						\
		printf("FAIL %s\n", #fn);				\
		unit_nfail++;						\
	} else {							\
		printf("ok %s\n", #fn);					\
		unit_npass++;						\
	}								\
} while (0)

#define UNIT_END(name)							\
	(printf("unit %s: %d passed, %d failed\n", (name), unit_npass,	\
	    unit_nfail), unit_nfail ? 1 : 0)

#endif /* TGT_UNIT_H */
