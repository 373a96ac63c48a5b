/*
 * The client_guess catalogue: JA4 and JA3 fingerprints of known clients,
 * mapped to a name an administrator understands ("Internet Explorer 7-10 on
 * Windows Vista/7 (Schannel)"). The text format is documented at the top
 * of conf/fingerprints.tsv: lines "JA4<TAB>JA3_MD5<TAB>CLIENT", '-' for a
 * key a line does not give, '#' comments and blank lines ignored. A hello
 * is looked up by its JA4 first, then by its JA3_MD5.
 *
 * A catalogue is immutable once built, so worker threads may share one
 * without locking; it lives as long as the configuration generation that
 * holds it. Pure text work: no sockets, no TLS library.
 */
#ifndef TF_FINGERPRINTS_H
#define TF_FINGERPRINTS_H

#include <stddef.h>

#include "common.h"

#define TF_FINGERPRINTS_MAGIC 0xf1a94e4d

/* The longest catalogue line accepted, without its newline. */
#define TF_FINGERPRINTS_MAX_LINE 1024

/* The largest catalogue file tf_fingerprints_load() reads. */
#define TF_FINGERPRINTS_MAX_FILE (16u * 1024 * 1024)

struct tf_fingerprints;

/*
 * Builds a catalogue from len bytes of text (no NUL terminator needed).
 * name is used in messages only (a path, or "builtin"). Returns a new
 * catalogue that the caller frees with tf_fingerprints_free(), or NULL with
 * "NAME:LINE: message" in err (when err is not NULL and errlen > 0). A
 * catalogue with no entries is valid: it never guesses. Errors: a line
 * longer than TF_FINGERPRINTS_MAX_LINE, a NUL byte, other than three
 * TAB-separated fields, a malformed JA4 or JA3_MD5, neither key given, an
 * empty client name or one with control bytes, a key given on two lines
 * (reported at the second, naming the first), and running out of memory.
 */
struct tf_fingerprints *tf_fingerprints_parse(const char *text, size_t len,
    const char *name, char *err, size_t errlen) TF_WARN_UNUSED;

/*
 * Reads the file at path and parses it as tf_fingerprints_parse() does,
 * with path as the name. Returns a new catalogue, or NULL with err set:
 * "PATH: cannot open: REASON", "PATH: read error: REASON",
 * "PATH: larger than N bytes", or a parse error "PATH:LINE: message".
 */
struct tf_fingerprints *tf_fingerprints_load(const char *path, char *err,
    size_t errlen) TF_WARN_UNUSED;

/*
 * Returns a new catalogue built from the copy of conf/fingerprints.tsv that
 * is compiled into the binary; free it with tf_fingerprints_free(). Never
 * returns NULL: a shipped catalogue that does not parse, or running out of
 * memory, aborts.
 */
struct tf_fingerprints *tf_fingerprints_builtin(void);

/*
 * Returns the client name for a hello: the entry whose JA4 is ja4, else the
 * entry whose JA3_MD5 is ja3_md5, else NULL. Either key may be NULL (not
 * known). The string belongs to f and lives as long as f. Safe to call from
 * any thread; never writes to f.
 */
const char *tf_fingerprints_guess(const struct tf_fingerprints *f,
    const char *ja4, const char *ja3_md5);

/*
 * Returns the number of entry lines in f, and stores the number of JA4 and
 * JA3_MD5 keys in *nja4 and *nja3 (either may be NULL). For logging.
 */
size_t tf_fingerprints_count(const struct tf_fingerprints *f,
    size_t *nja4, size_t *nja3);

/* Frees f and every string it returned. NULL is allowed. */
void tf_fingerprints_free(struct tf_fingerprints *f);

/*
 * The shipped catalogue, conf/fingerprints.tsv, as generated at build time
 * into proxy/fingerprints_data.c: tf_fingerprints_tsv_len bytes, followed
 * by a NUL. Use tf_fingerprints_builtin() rather than these.
 */
extern const char tf_fingerprints_tsv[];
extern const size_t tf_fingerprints_tsv_len;

#endif
