/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A minimal intrusive doubly-linked list, in the kernel's manner: vnplugd's
 * objects (sessions, regions, queued frames) sit on lists of their owner
 * and are unlinked in O(1) when they go away.
 */
#ifndef VNPLUGD_LIST_H
#define VNPLUGD_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }

static inline void list_init(struct list_head *h)
{
	h->next = h;
	h->prev = h;
}

static inline bool list_empty(const struct list_head *h)
{
	return h->next == h;
}

static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

static inline void list_del(struct list_head *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

#define list_entry(ptr, type, member)                                          \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define list_first_entry(h, type, member) list_entry((h)->next, type, member)

#define list_for_each_entry(pos, h, member)                                    \
	for (pos = list_entry((h)->next, __typeof__(*pos), member);            \
	     &pos->member != (h);                                              \
	     pos = list_entry(pos->member.next, __typeof__(*pos), member))

/* Safe against removal of the current entry (not of the next one). */
#define list_for_each_entry_safe(pos, n, h, member)                            \
	for (pos = list_entry((h)->next, __typeof__(*pos), member),            \
	    n = list_entry(pos->member.next, __typeof__(*pos), member);        \
	     &pos->member != (h);                                              \
	     pos = n, n = list_entry(n->member.next, __typeof__(*n), member))

#endif /* VNPLUGD_LIST_H */
