/*
 * The report as one JSON document (`tlsfloor report --json`): the counts,
 * the clients in report order (each with its advice and user agents), the
 * totals, the other events and the requests. The document is pure ASCII:
 * every other code point is a \u escape.
 */
#ifndef TF_JSONOUT_H
#define TF_JSONOUT_H

#include <stdint.h>
#include <stdio.h>

#include "common.h"
#include "report.h"

/* Writes r to out, saying it was generated at now_us. Returns 0, or -1
 * with errno set when writing to out failed. */
int tf_jsonout_write(struct tf_report *r, FILE *out, int64_t now_us)
    TF_WARN_UNUSED;

#endif
