/*
 * The report as one self-contained HTML page (`tlsfloor report --html`):
 * inline CSS, a chart of legacy connections over time by offered version
 * drawn in inline SVG, the client table, the totals and what to upgrade
 * per client family. The page loads nothing: no script, no external style
 * sheet, font or image.
 */
#ifndef TF_HTML_H
#define TF_HTML_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"
#include "report.h"

/* Writes the page for r to out, saying it was generated at now_us.
 * Returns 0, or -1 with errno set when writing to out failed. */
int tf_html_write(struct tf_report *r, FILE *out, int64_t now_us)
    TF_WARN_UNUSED;

/* Writes n bytes at s as HTML text, safe in element content and in quoted
 * attribute values: & < > " ' become references, a backslash doubles,
 * control bytes and bytes that are not UTF-8 become visible escapes
 * ("\x01"), and invisible or bidirectional characters become "\u202e". */
void tf_html_escape(FILE *out, const char *s, size_t n);

#endif
