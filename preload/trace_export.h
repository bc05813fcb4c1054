/* trace_export.h — a libmini trace written as the kernel model's text trace (trace_export.c). */
#ifndef MINI_TRACE_EXPORT_H
#define MINI_TRACE_EXPORT_H

#include <stdio.h>

#include "preload/trace_read.h"

/* Write trace FILE to out. 0; -1 with *err set for a truncated or corrupt trace; 1 when out
 * could not be written. */
int mtr_export_text(const char *path, FILE *out, struct mtr_err *err);

#endif /* MINI_TRACE_EXPORT_H */
