/*
 * ipme.c - the addresses of this machine, from getifaddrs(3).
 */
#include "ipme.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ipme_add - append a unless it is there already or the list is full */
static void
ipme_add(struct ipme *me, const struct dns_addr *a)
{
	if (me->n >= IPME_MAX || ipme_contains(me, a))
		return;
	me->addr[me->n++] = *a;
}

int
ipme_load(struct ipme *me)
{
	static const char *const always[] = { "0.0.0.0", "127.0.0.1", "::",
		"::1" };
	struct ifaddrs *list, *ifa;
	struct dns_addr a;
	size_t i;

	ipme_free(me);
	me->addr = calloc(IPME_MAX, sizeof(*me->addr));
	if (me->addr == NULL)
		return -1;
	if (getifaddrs(&list) < 0) {
		int e = errno;
		ipme_free(me);
		errno = e;
		return -1;
	}
	for (ifa = list; ifa != NULL; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == NULL)
			continue;
		memset(&a, 0, sizeof(a));
		if (ifa->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *sin =
			    (const struct sockaddr_in *)(const void *)
				ifa->ifa_addr;
			a.family = AF_INET;
			memcpy(a.ip, &sin->sin_addr, 4);
		} else if (ifa->ifa_addr->sa_family == AF_INET6) {
			const struct sockaddr_in6 *sin6 =
			    (const struct sockaddr_in6 *)(const void *)
				ifa->ifa_addr;
			a.family = AF_INET6;
			memcpy(a.ip, &sin6->sin6_addr, 16);
		} else
			continue;
		ipme_add(me, &a);
	}
	freeifaddrs(list);
	for (i = 0; i < sizeof(always) / sizeof(always[0]); i++)
	{
		memset(&a, 0, sizeof(a));
		a.family = strchr(always[i], ':') ? AF_INET6 : AF_INET;
		if (inet_pton(a.family, always[i], a.ip) == 1)
			ipme_add(me, &a);
	}
	return (int)me->n;
}

int
ipme_contains(const struct ipme *me, const struct dns_addr *a)
{
	size_t i;

	/* not dns_addr_equal: keep ipme free of the resolver library */
	for (i = 0; i < me->n; i++)
		if (me->addr[i].family == a->family &&
		    memcmp(me->addr[i].ip, a->ip,
			a->family == AF_INET6 ? 16 : 4) == 0)
			return 1;
	return 0;
}

void
ipme_free(struct ipme *me)
{
	free(me->addr);
	me->addr = NULL;
	me->n = 0;
}
