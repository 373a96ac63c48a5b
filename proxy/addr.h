/*
 * Address text: HOST:PORT for upstreams, numeric ADDR:PORT for binds and
 * syslog receivers, CIDRs for exemptions, and client address formatting
 * for records.
 */
#ifndef TF_ADDR_H
#define TF_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* One IPv4 or IPv6 network. IPv4 is kept as IPv4 (family AF_INET). */
struct tf_cidr {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t addr[16];  /* network bytes; 4 used for AF_INET; host bits 0 */
	unsigned prefix;   /* 0..32 or 0..128 */
};

/*
 * Splits "host:port", "[v6addr]:port" into a malloc'd host (no brackets)
 * and a port 1..65535. Returns 0, or -1 with *why set to a static message.
 */
int tf_addr_parse_hostport(const char *s, char **host, uint16_t *port,
    const char **why);

/*
 * Parses a numeric bind address "a.b.c.d:port", "[v6]:port" or "*:port"
 * (all IPv4 addresses). Port 0 asks the kernel for one. Returns 0, or -1
 * with *why set.
 */
int tf_addr_parse_bind(const char *s, struct sockaddr_storage *ss,
    socklen_t *len, const char **why);

/*
 * Parses a numeric destination "a.b.c.d:port" or "[v6]:port", port
 * 1..65535 (no "*", no port 0). Returns 0, or -1 with *why set.
 */
int tf_addr_parse_dest(const char *s, struct sockaddr_storage *ss,
    socklen_t *len, const char **why);

/*
 * Parses "a.b.c.d", "a.b.c.d/n", "v6", "v6/n". Host bits beyond the prefix
 * must be zero. Returns 0, or -1 with *why set.
 */
int tf_cidr_parse(const char *s, struct tf_cidr *c, const char **why);

/*
 * Returns 1 when the socket address is inside the network; an IPv4-mapped
 * IPv6 address matches IPv4 networks.
 */
int tf_cidr_match(const struct tf_cidr *c, const struct sockaddr *sa);

/*
 * Writes the address as text into ip (INET6_ADDRSTRLEN bytes is enough;
 * IPv4-mapped IPv6 is written as IPv4) and its port into *port.
 * Returns 0 or -1 for an unknown family.
 */
int tf_addr_format(const struct sockaddr *sa, char *ip, size_t iplen,
    uint16_t *port);

#endif
