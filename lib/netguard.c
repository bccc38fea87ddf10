/* netguard.c: address ranges as 128-bit prefixes (IPv4 as IPv4-mapped IPv6), and the table of special-purpose ranges
 * (RFC 6890 and the IANA registries) that a webhook must not reach unless the operator allowed them. */
#include "netguard.h"

#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ng_range {
	uint8_t a[16];
	unsigned bits;
};

void netguard_init(struct netguard *g)
{
	memset(g, 0, sizeof(*g));
}

void netguard_release(struct netguard *g)
{
	free(g->ranges);
	netguard_init(g);
}

/* The address as 16 bytes (IPv4 mapped); 0, or -1 for another family. */
static int as16(const struct sockaddr *sa, uint8_t out[16])
{
	if (sa->sa_family == AF_INET) {
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		memcpy(out, mapped, 12);
		memcpy(out + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
		return 0;
	}
	return -1;
}

static int in_prefix(const uint8_t a[16], const uint8_t p[16], unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a, p, whole))
		return 0;
	if (!rest)
		return 1;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (p[whole] & mask);
}

int netguard_add(struct netguard *g, const char *list, char *err, size_t errlen)
{
	const char *p = list;
	while (*p) {
		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, ", \t");
		char item[80];
		if (n >= sizeof(item)) {
			errf(err, errlen, "'%.*s...' is not an address range (too long)", 40, p);
			return -EINVAL;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		p += n;
		if (!strcmp(item, "any")) {
			g->allow_all = 1;
			continue;
		}
		char *slash = strchr(item, '/');
		long bits = -1;
		if (slash) {
			*slash = '\0';
			if (parse_long(slash + 1, 0, 128, &bits)) {
				errf(err, errlen, "'%s/%s': the prefix length is not a number from 0 to 128", item, slash + 1);
				return -EINVAL;
			}
		}
		struct ng_range r;
		memset(&r, 0, sizeof(r));
		struct in_addr v4;
		struct in6_addr v6;
		if (inet_pton(AF_INET, item, &v4) == 1) {
			if (bits > 32) {
				errf(err, errlen, "'%s/%ld': an IPv4 prefix is at most 32 bits", item, bits);
				return -EINVAL;
			}
			r.a[10] = r.a[11] = 0xff;
			memcpy(r.a + 12, &v4, 4);
			r.bits = 96 + (unsigned)(bits < 0 ? 32 : bits);
		} else if (inet_pton(AF_INET6, item, &v6) == 1) {
			memcpy(r.a, &v6, 16);
			r.bits = (unsigned)(bits < 0 ? 128 : bits);
		} else {
			errf(err, errlen, "'%s' is not an IPv4 or IPv6 address (write ranges as 10.20.0.0/16 or fd00::/8)", item);
			return -EINVAL;
		}
		g->ranges = xrealloc(g->ranges, (g->n + 1) * sizeof(*g->ranges));
		g->ranges[g->n++] = r;
	}
	return 0;
}

int netguard_contains(const struct netguard *g, const struct sockaddr *sa)
{
	uint8_t a[16];
	if (g->allow_all)
		return 1;
	if (as16(sa, a))
		return 0;
	for (size_t i = 0; i < g->n; i++)
		if (in_prefix(a, g->ranges[i].a, g->ranges[i].bits))
			return 1;
	return 0;
}

/* IPv4 special-purpose blocks: address, prefix length, what it is. */
static const struct {
	uint8_t a[4];
	unsigned bits;
	const char *what;
} special4[] = {
	{{0, 0, 0, 0}, 8, "unspecified address"},          /* "this network" */
	{{10, 0, 0, 0}, 8, "private address"},
	{{100, 64, 0, 0}, 10, "shared address space (CGNAT)"},
	{{127, 0, 0, 0}, 8, "loopback address"},
	{{169, 254, 0, 0}, 16, "link-local address"},        /* and the cloud metadata service */
	{{172, 16, 0, 0}, 12, "private address"},
	{{192, 0, 0, 0}, 24, "reserved address"},           /* IETF protocol assignments */
	{{192, 0, 2, 0}, 24, "documentation address"},
	{{192, 88, 99, 0}, 24, "reserved address"},         /* 6to4 relay anycast */
	{{192, 168, 0, 0}, 16, "private address"},
	{{198, 18, 0, 0}, 15, "benchmarking address"},
	{{198, 51, 100, 0}, 24, "documentation address"},
	{{203, 0, 113, 0}, 24, "documentation address"},
	{{224, 0, 0, 0}, 4, "multicast address"},
	{{240, 0, 0, 0}, 4, "reserved address"},            /* with 255.255.255.255, broadcast */
};

static const char *special_v4(const uint8_t v4[4])
{
	for (size_t i = 0; i < sizeof(special4) / sizeof(special4[0]); i++) {
		uint8_t a[16] = {0}, p[16] = {0};
		memcpy(a, v4, 4);
		memcpy(p, special4[i].a, 4);
		if (in_prefix(a, p, special4[i].bits))
			return special4[i].what;
	}
	return NULL;
}

const char *netguard_special(const struct sockaddr *sa)
{
	uint8_t a[16];
	if (as16(sa, a))
		return "not an internet address";
	static const uint8_t zero[16] = {0};
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
	if (!memcmp(a, mapped, 12) || !memcmp(a, nat64, 12))
		return special_v4(a + 12); /* IPv4-mapped (::ffff:0:0/96) and NAT64 (64:ff9b::/96) carry an IPv4 address */
	if (a[0] == 0x20 && a[1] == 0x02) {
		/* 6to4 (2002::/16): the tunnel ends at the IPv4 address in bits 16-47. */
		const char *why = special_v4(a + 2);
		if (why)
			return why;
	}
	if (!memcmp(a, zero, 15))
		return a[15] == 1 ? "loopback address" : "unspecified address"; /* ::1 and :: */
	if (!memcmp(a, zero, 12))
		return "reserved address"; /* IPv4-compatible (deprecated) */
	static const struct {
		uint8_t a[16];
		unsigned bits;
		const char *what;
	} special6[] = {
		{{0, 0x64, 0xff, 0x9b, 0, 1}, 48, "reserved address"},    /* local-use NAT64 */
		{{0x01, 0x00}, 64, "reserved address"},                   /* discard-only */
		{{0x20, 0x01, 0x00, 0x00}, 23, "reserved address"},       /* IETF protocol assignments, Teredo */
		{{0x20, 0x01, 0x0d, 0xb8}, 32, "documentation address"},
		{{0x3f, 0xff}, 20, "documentation address"},
		{{0x5f, 0x00}, 16, "reserved address"},                   /* segment routing */
		{{0xfc, 0x00}, 7, "private address"},                     /* unique local */
		{{0xfe, 0x80}, 10, "link-local address"},
		{{0xfe, 0xc0}, 10, "private address"},                    /* site-local (deprecated) */
		{{0xff, 0x00}, 8, "multicast address"},
	};
	for (size_t i = 0; i < sizeof(special6) / sizeof(special6[0]); i++)
		if (in_prefix(a, special6[i].a, special6[i].bits))
			return special6[i].what;
	return NULL;
}

const char *netguard_refuse(const struct netguard *g, const struct sockaddr *sa)
{
	const char *why = netguard_special(sa);
	if (!why || netguard_contains(g, sa))
		return NULL;
	return why;
}

void netguard_format(const struct sockaddr *sa, char *out, size_t outlen)
{
	const void *src = sa->sa_family == AF_INET ? (const void *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr
			  : sa->sa_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr
						      : NULL;
	if (!src || !inet_ntop(sa->sa_family, src, out, (socklen_t)outlen))
		snprintf(out, outlen, "(address of family %d)", sa->sa_family);
}
