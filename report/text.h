/*
 * The report as a fixed-width table for a terminal: one row per client,
 * its SNIs, actions and user agents under it, then the totals, what to
 * upgrade per client family, the other events and the requests. The
 * table is pure printable ASCII: what a record holds is shown with visible
 * escapes and can never drive the terminal.
 */
#ifndef TF_TEXT_H
#define TF_TEXT_H

#include <stdio.h>

#include "common.h"
#include "report.h"

/* Writes r to out. Returns 0, or -1 with errno set when writing to out
 * failed. */
int tf_text_write(struct tf_report *r, FILE *out) TF_WARN_UNUSED;

#endif
