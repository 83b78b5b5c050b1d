/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * libFuzzer target: the PDU receive path of tgt-portal (conn.c's state
 * machine, then login.c, session.c, text.c, scsi.c, tmf.c, lunring.c
 * behind it), fed through a real socket.
 *
 * Input: one control byte, then the bytes the initiator sends.
 *	bits 0-2	login preset first (fuzz_portal.h): none, normal,
 *			discovery, strict, digests, recovery, CHAP (to a
 *			second target), or two connections (MC/S): then the
 *			next byte says how much of the rest goes to the
 *			first connection (n/256), the others to the second
 *	bits 3-7	write chunk: 0 as much as the socket takes, else
 *			1 << (n % 12) bytes per event loop round
 * After the input the client hangs up; fuzz_hangup() checks that the
 * portal let go of everything.
 */

#include <stddef.h>
#include <stdint.h>

#include "fuzz_portal.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t	 chunk = 0, first;
	int	 fd, fd2, preset;

	if (size < 1)
		return (0);
	fuzz_portal_init();
	preset = data[0] & 7;
	if (data[0] >> 3)
		chunk = (size_t)1 << ((data[0] >> 3) % 12);
	fd = fuzz_connect();
	fuzz_login_preset(fd, preset);
	if (preset != FUZZ_LOGIN_MCS || size < 2) {
		fuzz_send(fd, data + 1, size - 1);
		fuzz_run(chunk);
		fuzz_hangup();
		return (0);
	}
	fuzz_run(0);
	fd2 = fuzz_connect();
	fuzz_login_join(fd2);
	fuzz_run(0);
	first = (size - 2) * data[1] / 256;
	fuzz_send(fd, data + 2, first);
	fuzz_send(fd2, data + 2 + first, size - 2 - first);
	fuzz_run(chunk);
	fuzz_hangup();
	return (0);
}
