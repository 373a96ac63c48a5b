/*
 * The report's reading and counting: a bounded line reader, jansson for
 * each line, a check of the fields the report reads, then the counts (a
 * hash table of distinct clients, counted sets of strings, and a time
 * histogram that coarsens itself), and the user agents of legacy requests
 * in a second, bounded table keyed by client_ip + ja4.
 *
 * jansson is asked for exactly what a record may hold: \u0000 is data
 * (JSON_ALLOW_NUL; lengths come from json_string_length), a member name
 * given twice makes the line ambiguous and so malformed
 * (JSON_REJECT_DUPLICATES), and a line is one object or array with nothing
 * after it. jansson itself rejects invalid UTF-8, lone surrogates and raw
 * control bytes, so every string counted here is valid UTF-8.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common.h"
#include "cset.h"
#include "report.h"
#include "rfc3339.h"

#define JSON_FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

const char *const tf_report_versions[TF_REPORT_NVERSIONS] = {
	"SSL2.0", "SSL3.0", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3"
};

int
tf_report_version_index(const char *s, size_t len)
{
	int i;

	for (i = 0; i < TF_REPORT_NVERSIONS; i++)
		if (s != NULL && tf_cset_eq(s, len, tf_report_versions[i],
		    strlen(tf_report_versions[i])))
			return i;
	return TF_REPORT_NVERSIONS;
}

int
tf_report_order_version(const void *a, const void *b)
{
	const struct tf_cset_entry *x = *(struct tf_cset_entry *const *)a;
	const struct tf_cset_entry *y = *(struct tf_cset_entry *const *)b;
	int vx = tf_report_version_index(tf_cset_str(x), x->len);
	int vy = tf_report_version_index(tf_cset_str(y), y->len);

	if (vx != vy)
		return vx - vy;
	return tf_cset_order_str(a, b);
}

/* A string field of a parsed record, borrowed from its jansson value;
 * p is NULL when the field is null or absent. */
struct field {
	const char *p;
	size_t len;
};

static struct field
field_of(const json_t *v)
{
	struct field f = { NULL, 0 };

	if (json_is_string(v)) {
		f.p = json_string_value(v);
		f.len = json_string_length(v);
	}
	return f;
}

static void
str_set(struct tf_report_str *s, struct field f)
{
	s->len = f.len;
	s->p = NULL;
	if (f.p == NULL)
		return;
	s->p = tf_xmalloc(f.len + 1);
	memcpy(s->p, f.p, f.len);
	s->p[f.len] = '\0';
}

static uint64_t
client_hash(struct field ip, struct field ja4, struct field guess)
{
	uint64_t h = TF_CSET_HASH_BASIS;

	h = tf_cset_hash(h, ip.p, ip.len);
	h = tf_cset_hash(h, ja4.p, ja4.len);
	return tf_cset_hash(h, guess.p, guess.len);
}

/*
 * Doubles an open-addressing table of pointers to objects whose uint64_t
 * hash sits at hash_off (the client and the agent tables): *slotp has cap
 * slots, NULL when free.
 */
static void
table_grow(void ***slotp, size_t *capp, size_t hash_off)
{
	size_t old = *capp, cap = old ? old * 2 : 64, i, j;
	void **slot = tf_xcalloc(cap, sizeof(*slot)), **from = *slotp;

	for (i = 0; i < old; i++) {
		uint64_t h;

		if (from[i] == NULL)
			continue;
		memcpy(&h, (const char *)from[i] + hash_off, sizeof(h));
		for (j = h & (cap - 1); slot[j] != NULL; j = (j + 1) & (cap - 1))
			;
		slot[j] = from[i];
	}
	free(from);
	*slotp = slot;
	*capp = cap;
}

static void
ctab_grow(struct tf_report_ctab *t)
{
	void **slot = (void **)t->slot;

	table_grow(&slot, &t->cap, offsetof(struct tf_report_client, hash));
	t->slot = (struct tf_report_client **)slot;
}

/* The client with this key, created (count 0) if it is new. */
static struct tf_report_client *
ctab_get(struct tf_report_ctab *t, struct field ip, struct field ja4,
    struct field guess)
{
	uint64_t h = client_hash(ip, ja4, guess);
	struct tf_report_client *c;
	size_t i;

	if (t->cap != 0) {
		for (i = h & (t->cap - 1); (c = t->slot[i]) != NULL;
		    i = (i + 1) & (t->cap - 1))
			if (c->hash == h &&
			    tf_cset_eq(c->ip.p, c->ip.len, ip.p, ip.len) &&
			    tf_cset_eq(c->ja4.p, c->ja4.len, ja4.p, ja4.len) &&
			    tf_cset_eq(c->guess.p, c->guess.len, guess.p,
			    guess.len))
				return c;
	}
	if ((t->n + 1) * 4 > t->cap * 3)
		ctab_grow(t);
	c = tf_xcalloc(1, sizeof(*c));
	c->magic = TF_REPORT_CLIENT_MAGIC;
	c->hash = h;
	str_set(&c->ip, ip);
	str_set(&c->ja4, ja4);
	str_set(&c->guess, guess);
	for (i = h & (t->cap - 1); t->slot[i] != NULL;
	    i = (i + 1) & (t->cap - 1))
		;
	t->slot[i] = c;
	t->n++;
	return c;
}

static void
client_free(struct tf_report_client *c)
{
	TF_CHECK_OBJ(c, TF_REPORT_CLIENT_MAGIC);
	free(c->ip.p);
	free(c->ja4.p);
	free(c->guess.p);
	free(c->offered.p);
	tf_cset_free(&c->snis);
	tf_cset_free(&c->actions);
	c->magic = 0;
	free(c);
}

static uint64_t
agents_hash(struct field ip, struct field ja4)
{
	uint64_t h = TF_CSET_HASH_BASIS;

	h = tf_cset_hash(h, ip.p, ip.len);
	return tf_cset_hash(h, ja4.p, ja4.len);
}

static void
atab_grow(struct tf_report_atab *t)
{
	void **slot = (void **)t->slot;

	table_grow(&slot, &t->cap, offsetof(struct tf_report_agents, hash));
	t->slot = (struct tf_report_agents **)slot;
}

/* The slot holding the key, or the free one where it would go; t has a
 * free slot. */
static size_t
atab_slot(const struct tf_report_atab *t, uint64_t h, struct field ip,
    struct field ja4)
{
	const struct tf_report_agents *a;
	size_t i;

	for (i = h & (t->cap - 1); (a = t->slot[i]) != NULL;
	    i = (i + 1) & (t->cap - 1))
		if (a->hash == h &&
		    tf_cset_eq(a->ip.p, a->ip.len, ip.p, ip.len) &&
		    tf_cset_eq(a->ja4.p, a->ja4.len, ja4.p, ja4.len))
			break;
	return i;
}

/* The agents of this key, created if the key is new and there is room;
 * NULL when there is none, so that no log can grow the table past
 * TF_REPORT_UA_PAIRS keys of TF_REPORT_UA_KEY_MAX bytes. */
static struct tf_report_agents *
atab_get(struct tf_report_atab *t, struct field ip, struct field ja4)
{
	uint64_t h = agents_hash(ip, ja4);
	struct tf_report_agents *a;

	if (ip.len > TF_REPORT_UA_KEY_MAX || ja4.len > TF_REPORT_UA_KEY_MAX)
		return NULL;
	if (t->cap != 0 && (a = t->slot[atab_slot(t, h, ip, ja4)]) != NULL)
		return a;
	if (t->n >= TF_REPORT_UA_PAIRS)
		return NULL;
	if ((t->n + 1) * 4 > t->cap * 3)
		atab_grow(t);
	a = tf_xcalloc(1, sizeof(*a));
	a->magic = TF_REPORT_AGENTS_MAGIC;
	a->hash = h;
	str_set(&a->ip, ip);
	str_set(&a->ja4, ja4);
	t->slot[atab_slot(t, h, ip, ja4)] = a;
	t->n++;
	return a;
}

static void
agents_free(struct tf_report_agents *a)
{
	TF_CHECK_OBJ(a, TF_REPORT_AGENTS_MAGIC);
	free(a->ip.p);
	free(a->ja4.p);
	tf_cset_free(&a->uas);
	a->magic = 0;
	free(a);
}

const struct tf_report_agents *
tf_report_agents_of(const struct tf_report *r,
    const struct tf_report_client *c)
{
	struct field ip = { c->ip.p, c->ip.len };
	struct field ja4 = { c->ja4.p, c->ja4.len };

	TF_CHECK_OBJ(r, TF_REPORT_MAGIC);
	TF_CHECK_OBJ(c, TF_REPORT_CLIENT_MAGIC);
	if (r->agents.cap == 0)
		return NULL;
	return r->agents.slot[atab_slot(&r->agents, agents_hash(ip, ja4), ip,
	    ja4)];
}

/* Count descending, then first seen, then the key, so output is stable. */
static int
client_cmp(const void *a, const void *b)
{
	const struct tf_report_client *x =
	    *(struct tf_report_client *const *)a;
	const struct tf_report_client *y =
	    *(struct tf_report_client *const *)b;
	int r;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if (x->first_us != y->first_us)
		return x->first_us < y->first_us ? -1 : 1;
	r = tf_cset_cmp(x->ip.p, x->ip.len, y->ip.p, y->ip.len);
	if (r == 0)
		r = tf_cset_cmp(x->ja4.p, x->ja4.len, y->ja4.p, y->ja4.len);
	if (r == 0)
		r = tf_cset_cmp(x->guess.p, x->guess.len, y->guess.p,
		    y->guess.len);
	return r;
}

struct tf_report_client **
tf_report_clients_sorted(const struct tf_report *r)
{
	struct tf_report_client **v = tf_xcalloc(r->clients.n, sizeof(*v));
	size_t i, k = 0;

	TF_CHECK_OBJ(r, TF_REPORT_MAGIC);
	for (i = 0; i < r->clients.cap; i++)
		if (r->clients.slot[i] != NULL)
			v[k++] = r->clients.slot[i];
	qsort(v, k, sizeof(*v), client_cmp);
	return v;
}

/* Bucket widths the chart steps through; each divides the next, so a
 * coarser bucket holds whole finer ones. Past the last, widths double. */
static const int64_t chart_steps[] = {
	1, 10, 60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400
};

static int64_t
chart_next_step(int64_t size)
{
	size_t i;

	for (i = 0; i < TF_ARRAY_SIZE(chart_steps); i++)
		if (chart_steps[i] > size)
			return chart_steps[i];
	return size * 2;
}

/* Re-buckets the histogram at the next width. */
static void
chart_coarsen(struct tf_report_chart *ch)
{
	uint64_t tmp[TF_REPORT_CHART_MAX][TF_REPORT_NCATEGORIES];
	int64_t ns = chart_next_step(ch->size);
	int64_t nb0 = tf_floordiv(ch->b0 * ch->size, ns), j = 0;
	size_t i, k;

	memset(tmp, 0, sizeof(tmp));
	for (i = 0; i < ch->nb; i++) {
		j = tf_floordiv((ch->b0 + (int64_t)i) * ch->size, ns) - nb0;
		for (k = 0; k < TF_REPORT_NCATEGORIES; k++)
			tmp[j][k] += ch->cnt[i][k];
	}
	memcpy(ch->cnt, tmp, sizeof(tmp));
	ch->b0 = nb0;
	ch->nb = (size_t)j + 1;
	ch->size = ns;
}

/* Counts one record at t seconds in category cat, widening the buckets
 * until the whole span fits in TF_REPORT_CHART_MAX of them. */
static void
chart_add(struct tf_report_chart *ch, int64_t t, int cat)
{
	int64_t idx, lo, hi, last;

	if (ch->nb == 0) {
		ch->size = 1;
		ch->b0 = t;
		ch->nb = 1;
		memset(ch->cnt[0], 0, sizeof(ch->cnt[0]));
		ch->cnt[0][cat]++;
		return;
	}
	for (;;) {
		idx = tf_floordiv(t, ch->size);
		last = ch->b0 + (int64_t)ch->nb - 1;
		lo = idx < ch->b0 ? idx : ch->b0;
		hi = idx > last ? idx : last;
		if (hi - lo < TF_REPORT_CHART_MAX)
			break;
		chart_coarsen(ch);
	}
	if (idx < ch->b0) {
		size_t shift = (size_t)(ch->b0 - idx);

		memmove(ch->cnt[shift], ch->cnt[0],
		    ch->nb * sizeof(ch->cnt[0]));
		memset(ch->cnt[0], 0, shift * sizeof(ch->cnt[0]));
		ch->b0 = idx;
		ch->nb += shift;
	} else if (idx > last) {
		memset(ch->cnt[ch->nb], 0,
		    (size_t)(idx - last) * sizeof(ch->cnt[0]));
		ch->nb = (size_t)(idx - ch->b0) + 1;
	}
	ch->cnt[idx - ch->b0][cat]++;
}

struct tf_report *
tf_report_new(int64_t since_us)
{
	struct tf_report *r = tf_xcalloc(1, sizeof(*r));

	r->magic = TF_REPORT_MAGIC;
	r->since_us = since_us;
	return r;
}

void
tf_report_free(struct tf_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	TF_CHECK_OBJ(r, TF_REPORT_MAGIC);
	for (i = 0; i < r->clients.cap; i++)
		if (r->clients.slot[i] != NULL)
			client_free(r->clients.slot[i]);
	free(r->clients.slot);
	for (i = 0; i < r->agents.cap; i++)
		if (r->agents.slot[i] != NULL)
			agents_free(r->agents.slot[i]);
	free(r->agents.slot);
	tf_cset_free(&r->by_offered);
	tf_cset_free(&r->by_guess);
	tf_cset_free(&r->by_action);
	tf_cset_free(&r->hf_reasons);
	for (i = 0; i < r->nlogs; i++)
		free(r->logs[i]);
	free(r->logs);
	r->magic = 0;
	free(r);
}

void
tf_report_get_counts(const struct tf_report *r, struct tf_report_counts *c)
{
	TF_CHECK_OBJ(r, TF_REPORT_MAGIC);
	*c = r->counts;
	c->clients = r->clients.n;
}

/* The record fields the report reads. */
enum {
	F_EVENT = 0, F_TIME, F_ACTION, F_CLIENT_IP, F_JA4, F_CLIENT_GUESS,
	F_SNI, F_OFFERED_MAX, F_REASON, F_USER_AGENT, F_LEGACY, F_COUNT
};

static const char *const field_names[F_COUNT] = {
	"event", "time", "action", "client_ip", "ja4", "client_guess",
	"sni", "offered_max", "reason", "user_agent", "legacy"
};

/* Absent, null, or a string: the fields SPEC allows to be null. */
static int
is_str_or_null(const json_t *v)
{
	return v == NULL || json_is_null(v) || json_is_string(v);
}

static int
is_event(struct field ev, const char *name)
{
	return tf_cset_eq(ev.p, ev.len, name, strlen(name));
}

/* Counts one legacy_client record at t, whose fields count_record has
 * checked. */
static void
count_legacy(struct tf_report *r, const json_t **f, int64_t t)
{
	struct field ja4 = field_of(f[F_JA4]);
	struct field guess = field_of(f[F_CLIENT_GUESS]);
	struct field sni = field_of(f[F_SNI]);
	struct field off = field_of(f[F_OFFERED_MAX]);
	struct field action = field_of(f[F_ACTION]);
	struct tf_report_client *c;
	struct tf_cset_entry *e;
	int vi = tf_report_version_index(off.p, off.len);

	c = ctab_get(&r->clients, field_of(f[F_CLIENT_IP]), ja4, guess);
	if (c->count == 0 || t < c->first_us)
		c->first_us = t;
	if (c->count == 0 || t > c->last_us)
		c->last_us = t;
	/* Keep the newest known version; a spelling we do not know only
	 * wins over nothing. */
	if (c->offered.p == NULL || (vi < TF_REPORT_NVERSIONS &&
	    (tf_report_version_index(c->offered.p, c->offered.len) ==
	    TF_REPORT_NVERSIONS ||
	    vi > tf_report_version_index(c->offered.p, c->offered.len)))) {
		free(c->offered.p);
		str_set(&c->offered, off);
	}
	c->count++;
	e = tf_cset_get(&c->snis, sni.p, sni.len, TF_REPORT_SNI_LIMIT);
	if (e != NULL)
		e->count++;
	else
		c->snis_more++;
	tf_cset_add(&c->actions, action.p, action.len);

	tf_cset_add(&r->by_offered, off.p, off.len);
	if (guess.p != NULL)
		tf_cset_add(&r->by_guess, guess.p, guess.len);
	else
		tf_cset_add(&r->by_guess, "unknown", 7);
	tf_cset_add(&r->by_action, action.p, action.len);
	if (r->counts.records == 0 || t < r->min_us)
		r->min_us = t;
	if (r->counts.records == 0 || t > r->max_us)
		r->max_us = t;
	chart_add(&r->chart, tf_floordiv(t, TF_US_PER_S), vi);
	r->counts.records++;
}

/* The length of the agent of n bytes at s, cut to TF_REPORT_UA_LEN at a
 * character boundary: s is valid UTF-8 (jansson saw to it), and a cut
 * inside a character would leave bytes that are not. */
static size_t
agent_len(const char *s, size_t n)
{
	if (n <= TF_REPORT_UA_LEN)
		return n;
	n = TF_REPORT_UA_LEN;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* Counts one request record with "legacy": true, whose fields
 * count_record has checked: its agent joins those of its client_ip + ja4
 * when there is room. */
static void
count_legacy_request(struct tf_report *r, const json_t **f)
{
	struct field ua = field_of(f[F_USER_AGENT]);
	struct tf_report_agents *a;
	struct tf_cset_entry *e;

	r->counts.legacy_requests++;
	a = atab_get(&r->agents, field_of(f[F_CLIENT_IP]), field_of(f[F_JA4]));
	if (a == NULL) {
		r->counts.agents_dropped++;
		return;
	}
	if (ua.p != NULL)
		ua.len = agent_len(ua.p, ua.len);
	e = tf_cset_get(&a->uas, ua.p, ua.len, TF_REPORT_UA_LIMIT);
	if (e != NULL)
		e->count++;
	else
		a->uas_more++;
}

/*
 * Checks and counts one parsed line. Returns 0, or -1 when the record is
 * malformed: not an object, or a field the report reads missing or of the
 * wrong type, or a time that is not RFC 3339. A request without a boolean
 * "legacy" is malformed: SPEC's access records always carry one.
 */
static int
count_record(struct tf_report *r, const json_t *root)
{
	const json_t *f[F_COUNT];
	struct field ev, reason;
	int64_t t;
	size_t k;

	if (!json_is_object(root))
		return -1;
	for (k = 0; k < F_COUNT; k++)
		f[k] = json_object_get(root, field_names[k]);
	ev = field_of(f[F_EVENT]);
	if (ev.p == NULL || !json_is_string(f[F_TIME]) ||
	    tf_rfc3339_parse(json_string_value(f[F_TIME]),
	    json_string_length(f[F_TIME]), &t) != 0)
		return -1;
	if (is_event(ev, "legacy_client")) {
		if (!json_is_string(f[F_ACTION]) ||
		    !json_is_string(f[F_CLIENT_IP]) ||
		    !json_is_string(f[F_OFFERED_MAX]) ||
		    !is_str_or_null(f[F_JA4]) ||
		    !is_str_or_null(f[F_CLIENT_GUESS]) ||
		    !is_str_or_null(f[F_SNI]))
			return -1;
		if (t < r->since_us) {
			r->counts.before_since++;
			return 0;
		}
		count_legacy(r, f, t);
	} else if (is_event(ev, "handshake_failed")) {
		if (!is_str_or_null(f[F_REASON]))
			return -1;
		if (t < r->since_us) {
			r->counts.before_since++;
			return 0;
		}
		reason = field_of(f[F_REASON]);
		if (reason.p != NULL)
			tf_cset_add(&r->hf_reasons, reason.p, reason.len);
		else
			tf_cset_add(&r->hf_reasons, "unknown", 7);
		r->counts.handshake_failed++;
	} else if (is_event(ev, "request")) {
		/* Only a legacy request's fields are read. */
		if (!json_is_boolean(f[F_LEGACY]) ||
		    (json_is_true(f[F_LEGACY]) &&
		    (!json_is_string(f[F_CLIENT_IP]) ||
		    !is_str_or_null(f[F_JA4]) ||
		    !is_str_or_null(f[F_USER_AGENT]))))
			return -1;
		if (t < r->since_us)
			r->counts.before_since++;
		else if (json_is_true(f[F_LEGACY]))
			count_legacy_request(r, f);
		else
			r->counts.other_requests++;
	} else if (t < r->since_us) {
		r->counts.before_since++;
	} else if (is_event(ev, "not_tls")) {
		r->counts.not_tls++;
	} else {
		r->counts.other_events++;
	}
	return 0;
}

int
tf_report_feed(struct tf_report *r, const char *line, size_t n)
{
	json_error_t err;
	json_t *root;
	size_t i;
	int rc = -1;

	TF_CHECK_OBJ(r, TF_REPORT_MAGIC);
	for (i = 0; i < n; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			break;
	if (i == n)
		return 0;
	r->counts.lines++;
	if (n <= TF_REPORT_LINE_MAX) {
		/* NULL on any error, out of memory included: that costs this
		 * line, not the report. */
		root = json_loadb(line, n, JSON_FLAGS, &err);
		if (root != NULL) {
			rc = count_record(r, root);
			json_decref(root);
		}
	}
	if (rc != 0)
		r->counts.malformed++;
	return rc;
}

int
tf_report_read(struct tf_report *r, FILE *f, const char *name)
{
	/* Room for a whole line plus a large read behind it. */
	size_t cap = 2 * (size_t)TF_REPORT_LINE_MAX + 2, len = 0;
	char *buf = tf_xmalloc(cap);
	int discarding = 0, err;

	TF_CHECK_OBJ(r, TF_REPORT_MAGIC);
	r->logs = tf_xrealloc(r->logs, (r->nlogs + 1) * sizeof(*r->logs));
	r->logs[r->nlogs++] = tf_xstrdup(name);
	for (;;) {
		size_t got = fread(buf + len, 1, cap - len, f), start = 0;
		size_t scan = len;
		char *nl;

		if (got == 0)
			break;
		len += got;
		while ((nl = memchr(buf + scan, '\n', len - scan)) != NULL) {
			size_t end = (size_t)(nl - buf);

			if (discarding)
				discarding = 0;
			else
				(void)tf_report_feed(r, buf + start,
				    end - start);
			start = scan = end + 1;
		}
		if (discarding) {
			/* Still inside an overlong line: drop it all. */
			len = 0;
			continue;
		}
		if (len - start > TF_REPORT_LINE_MAX) {
			/* Counted once here; its bytes are never kept. */
			r->counts.lines++;
			r->counts.malformed++;
			discarding = 1;
			len = 0;
			continue;
		}
		memmove(buf, buf + start, len - start);
		len -= start;
	}
	if (ferror(f)) {
		err = errno;
		free(buf);
		errno = err != 0 ? err : EIO;
		return -1;
	}
	if (!discarding && len > 0)
		(void)tf_report_feed(r, buf, len);
	free(buf);
	return 0;
}

int
tf_report_flush(FILE *out)
{
	int err;

	if (fflush(out) != 0 || ferror(out)) {
		err = errno;
		errno = err != 0 ? err : EIO;
		return -1;
	}
	return 0;
}
