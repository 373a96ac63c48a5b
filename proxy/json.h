/*
 * A bounded JSON object writer for one-line records. Keys are trusted
 * literals; every value string is escaped so any byte sequence (an SNI may
 * hold any byte) yields valid JSON in UTF-8: '"', '\\' and control bytes
 * are escaped, bytes that are not valid UTF-8 become \u00XX.
 * When the buffer fills, the writer stops and marks overflow; the caller
 * then drops or truncates the record, it never overruns.
 */
#ifndef TF_JSON_H
#define TF_JSON_H

#include <stddef.h>
#include <stdint.h>

struct tf_json {
	char *buf;     /* caller's storage */
	size_t len;    /* bytes written */
	size_t cap;    /* size of buf */
	int first;     /* no member written yet at this nesting level */
	int overflow;  /* set once anything did not fit */
};

void tf_json_init(struct tf_json *j, char *buf, size_t cap);
void tf_json_begin(struct tf_json *j);            /* { */
void tf_json_end(struct tf_json *j);              /* }\n and NUL */
void tf_json_str(struct tf_json *j, const char *key, const char *s); /* s NULL: null */
void tf_json_strn(struct tf_json *j, const char *key, const void *s, size_t n);
void tf_json_null(struct tf_json *j, const char *key);
void tf_json_int(struct tf_json *j, const char *key, long long v);
void tf_json_bool(struct tf_json *j, const char *key, int v);
void tf_json_array_begin(struct tf_json *j, const char *key);
void tf_json_array_str(struct tf_json *j, const char *s);
void tf_json_array_end(struct tf_json *j);

/*
 * Length of the well-formed UTF-8 sequence at p (n bytes left), or 0:
 * RFC 3629 section 4, no overlong forms, no surrogates, nothing above
 * U+10FFFF. Sets *cp to the code point.
 */
size_t tf_json_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);

/* Escapes n bytes of s as a JSON string body (no quotes) into out. Returns
 * the length written, or (size_t)-1 when it did not fit. */
size_t tf_json_escape(char *out, size_t outlen, const void *s, size_t n);

#endif
