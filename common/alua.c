/*
 * Copyright (c) 2026 The tgt suite authors
 * SPDX-License-Identifier: GPL-2.0-only
 *
 * Names of the asymmetric access states, see alua.h.
 */

#include <string.h>

#include "alua.h"
#include "proto.h"

static const struct {
	int		 state;
	const char	*name;
} states[] = {
	{ ALUA_ACTIVE_OPTIMIZED,	"active-optimized" },
	{ ALUA_ACTIVE_NONOPT,		"active-non-optimized" },
	{ ALUA_STANDBY,			"standby" },
	{ ALUA_UNAVAILABLE,		"unavailable" },
	{ ALUA_TRANSITIONING,		"transitioning" },
};

#define NSTATES	(sizeof(states) / sizeof(states[0]))

const char *
alua_state_name(int state)
{
	size_t	i;

	for (i = 0; i < NSTATES; i++)
		if (states[i].state == state)
			return (states[i].name);
	return (NULL);
}

int
alua_state_parse(const char *name)
{
	size_t	i;

	for (i = 0; i < NSTATES; i++)
		if (strcmp(states[i].name, name) == 0)
			return (states[i].state);
	return (-1);
}
