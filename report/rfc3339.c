/*
 * RFC 3339 times and --since durations. Dates are converted with Howard
 * Hinnant's civil-days algorithms, which hold for every proleptic Gregorian
 * date, so a record from year 1 or 9999 is a time like any other and
 * nothing here depends on the C library's time zone or time_t range.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rfc3339.h"

#define SINCE_MAX_S (100LL * 366 * 86400)

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse of days_from_civil. */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Exactly n decimal digits at s; 0 or -1. */
static int
digits(const char *s, size_t n, int *out)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* "YYYY-MM-DD" at s (10 bytes available): days since the epoch. */
static int
parse_date(const char *s, int64_t *days)
{
	static const unsigned char mdays[] = { 31, 28, 31, 30, 31, 30, 31,
	    31, 30, 31, 30, 31 };
	int y, m, d, leap;

	if (digits(s, 4, &y) != 0 || s[4] != '-' ||
	    digits(s + 5, 2, &m) != 0 || s[7] != '-' ||
	    digits(s + 8, 2, &d) != 0)
		return -1;
	if (m < 1 || m > 12 || d < 1)
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[m - 1] + (m == 2 && leap))
		return -1;
	*days = days_from_civil(y, (unsigned)m, (unsigned)d);
	return 0;
}

int
tf_rfc3339_parse(const char *s, size_t n, int64_t *us)
{
	int h, mi, sec, oh = 0, om = 0;
	int64_t days, frac = 0, t, off = 0;
	size_t i, fd = 0;

	/* The shortest form is "YYYY-MM-DDThh:mm:ssZ". */
	if (n < 20 || parse_date(s, &days) != 0)
		return -1;
	if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) != 0 || s[13] != ':' ||
	    digits(s + 14, 2, &mi) != 0 || s[16] != ':' ||
	    digits(s + 17, 2, &sec) != 0)
		return -1;
	if (h > 23 || mi > 59 || sec > 60)
		return -1;
	i = 19;
	if (s[i] == '.') {
		size_t first = ++i;

		while (i < n && s[i] >= '0' && s[i] <= '9') {
			if (fd < 6) {
				frac = frac * 10 + (s[i] - '0');
				fd++;
			}
			i++;
		}
		if (i == first)
			return -1;
		for (; fd < 6; fd++)
			frac *= 10;
	}
	if (i >= n)
		return -1;
	if (s[i] == 'Z' || s[i] == 'z') {
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		if (n - i < 6 || digits(s + i + 1, 2, &oh) != 0 ||
		    s[i + 3] != ':' || digits(s + i + 4, 2, &om) != 0 ||
		    oh > 23 || om > 59)
			return -1;
		off = (int64_t)oh * 3600 + om * 60;
		if (s[i] == '-')
			off = -off;
		i += 6;
	} else {
		return -1;
	}
	if (i != n)
		return -1;
	t = days * 86400 + h * 3600 + mi * 60 + sec - off;
	*us = t * TF_US_PER_S + frac;
	return 0;
}

int
tf_rfc3339_parse_since(const char *s, int64_t now_us, int64_t *us)
{
	size_t n = strlen(s), i = 0;
	int64_t days, total = 0;

	if (n == 10 && parse_date(s, &days) == 0) {
		*us = days * 86400 * TF_US_PER_S;
		return 0;
	}
	if (tf_rfc3339_parse(s, n, us) == 0)
		return 0;
	if (n == 0)
		return -1;
	while (i < n) {
		int64_t v = 0, unit;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			v = v * 10 + (s[i] - '0');
			if (v > SINCE_MAX_S)
				return -1;
			i++;
		}
		if (i >= n)
			return -1;
		switch (s[i++]) {
		case 'd':
			unit = 86400;
			break;
		case 'h':
			unit = 3600;
			break;
		case 'm':
			unit = 60;
			break;
		case 's':
			unit = 1;
			break;
		default:
			return -1;
		}
		if (v > SINCE_MAX_S / unit)
			return -1;
		total += v * unit;
		if (total > SINCE_MAX_S)
			return -1;
	}
	*us = now_us - total * TF_US_PER_S;
	return 0;
}

void
tf_rfc3339_format(int64_t us, int ms_digits, char *out, size_t outlen)
{
	int64_t secs = tf_floordiv(us, TF_US_PER_S), days, y;
	int64_t ms = (us - secs * TF_US_PER_S) / 1000, sod;
	unsigned m, d;

	days = tf_floordiv(secs, 86400);
	sod = secs - days * 86400;
	civil_from_days(days, &y, &m, &d);
	if (ms_digits)
		snprintf(out, outlen, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ",
		    (long long)y, m, d, (unsigned)(sod / 3600),
		    (unsigned)(sod / 60 % 60), (unsigned)(sod % 60),
		    (unsigned)ms);
	else
		snprintf(out, outlen, "%04lld-%02u-%02uT%02u:%02u:%02uZ",
		    (long long)y, m, d, (unsigned)(sod / 3600),
		    (unsigned)(sod / 60 % 60), (unsigned)(sod % 60));
}

int64_t
tf_rfc3339_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * TF_US_PER_S + ts.tv_nsec / 1000;
}

