/*
 * mini_trace.h — what the files of build/bin/mini-trace share (mini-trace.c: the command line,
 * dump and stats; replay.c: replay and plan).
 */
#ifndef MINI_TRACE_TOOL_H
#define MINI_TRACE_TOOL_H

#include <stdint.h>
#include <stdio.h>

#include "preload/trace_read.h"

#define MT_NOPS 128 /* counts are indexed by op */

/* "calls: malloc=N free=N ... total=N" (call ops with a non-zero count, in op order). */
void mt_print_calls(FILE *f, const uint64_t counts[MT_NOPS]);
/* Report a bad trace the one way: "mini-trace: FILE: byte OFF: MSG" on stderr; returns 2. */
int mt_bad_trace(const char *path, const struct mtr_err *err);
/* Parse a positive integer option value; -1 when it is not one. */
long mt_parse_count(const char *s);

int mt_cmd_replay(int argc, char **argv);
int mt_cmd_plan(int argc, char **argv);

#endif /* MINI_TRACE_TOOL_H */
