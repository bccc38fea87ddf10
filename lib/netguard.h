/* netguard.h: which network addresses the service may connect to on someone else's behalf (webhooks, robots,
 * redirects), decided on the address actually connected to, after name resolution, never on a URL's text. */
#ifndef TBT_NETGUARD_H
#define TBT_NETGUARD_H

#include <stddef.h>
#include <sys/socket.h>

/* A set of address ranges (IPv4 and IPv6 CIDR blocks). Plain value: netguard_init/netguard_release. */
struct netguard {
	struct ng_range *ranges;
	size_t n;
	int allow_all; /* "any": every address is allowed (tests on loopback; never in production) */
};

void netguard_init(struct netguard *g);
void netguard_release(struct netguard *g);

/* Adds the ranges of list: CIDR blocks or single addresses separated by commas or spaces ("10.20.0.0/16, fd00::/8,
 * 192.0.2.7"), or "any". Returns 0, or -EINVAL with err naming the bad item and why. */
int netguard_add(struct netguard *g, const char *list, char *err, size_t errlen);

/* Whether the address is in one of g's ranges. IPv4-mapped IPv6 addresses count as their IPv4 address. */
int netguard_contains(const struct netguard *g, const struct sockaddr *sa);

/* Why an address is not a public unicast address: "loopback address", "private address", "link-local address",
 * "shared address space (CGNAT)", "multicast address", "unspecified address", "reserved address", ... or NULL when it
 * is public. Mapped, NAT64 and 6to4 IPv6 forms are judged by the IPv4 address they carry. Static strings. */
const char *netguard_special(const struct sockaddr *sa);

/* What the service decides for a connection to sa under the allowed ranges g: NULL when it may connect, else the
 * reason it may not (netguard_special's). */
const char *netguard_refuse(const struct netguard *g, const struct sockaddr *sa);

/* Writes the address's numeric form ("127.0.0.1", "::1") into out. */
void netguard_format(const struct sockaddr *sa, char *out, size_t outlen);

#endif
