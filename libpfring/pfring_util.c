/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libpfring: small helpers the modules share. */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pfring_priv.h"

int pfring_ifindex(const char *ifname)
{
	return (int)if_nametoindex(ifname);
}

/*
 * Split "eth0@2" into "eth0" and 2; "eth0" gives queue -1. Returns 0, or -1
 * if the name is too long for @len or the queue is not a number below
 * MAX_NUM_RX_CHANNELS.
 */
int pfring_split_queue(const char *dev, char *ifname, size_t len, int *queue)
{
	const char *at = strrchr(dev, '@');
	size_t n = at ? (size_t)(at - dev) : strlen(dev);
	char *end;
	long q;

	*queue = -1;
	if (n == 0 || n >= len || n >= IF_NAMESIZE)
		return -1;
	memcpy(ifname, dev, n);
	ifname[n] = '\0';
	if (at == NULL)
		return 0;
	errno = 0;
	q = strtol(at + 1, &end, 10);
	if (at[1] == '\0' || *end != '\0' || errno || q < 0 ||
	    q >= MAX_NUM_RX_CHANNELS)
		return -1;
	*queue = (int)q;
	return 0;
}

u_int8_t pfring_sysfs_rx_queues(const char *ifname)
{
	char path[128];
	struct dirent *e;
	unsigned int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	d = opendir(path);
	if (d == NULL)
		return 1;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "rx-", 3) == 0)
			n++;
	closedir(d);
	if (n == 0)
		return 1;
	return n > 255 ? 255 : (u_int8_t)n;
}

/*
 * Rule tables are read at random, one entry per packet: on 2 MiB pages a
 * lookup in a large table costs a cache miss instead of a cache miss plus
 * a TLB miss (tests/bench/filter_bench measures both). mmap gives zeroed
 * memory, as the tables need.
 */
void *pfring_table_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (size >= (2u << 20))
		madvise(p, size, MADV_HUGEPAGE);
	return p;
}

void pfring_table_free(void *p, size_t size)
{
	if (p != NULL)
		munmap(p, size);
}
