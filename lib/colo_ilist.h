/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Index-linked lists over a preallocated array: an element holds a
 * struct colo_ilink (prev and next array indexes) per list it can be on,
 * and a list is a struct colo_ilist (head and tail). No pointers, no
 * allocation: what the connection table (LRU and busy lists) and the
 * sequence rewriter (live and closed lists) link their entries with. The
 * caller owns the array and the lists; one writer.
 */
#ifndef COLO_ILIST_H
#define COLO_ILIST_H

#include <stddef.h>
#include <stdint.h>

/** No element: the end of a list, or an empty one. */
#define COLO_ILIST_NONE UINT32_MAX

/** An element's place on one list. */
struct colo_ilink {
	uint32_t prev; /**< towards the head, or COLO_ILIST_NONE */
	uint32_t next; /**< towards the tail, or COLO_ILIST_NONE */
};

/** A list: its first and last element, or COLO_ILIST_NONE for both when empty. */
struct colo_ilist {
	uint32_t head;
	uint32_t tail;
};

/* Link @p i of the array at @p base, whose elements are @p stride bytes with the link at @p off. */
static inline struct colo_ilink *
colo_ilink_at(void *base, size_t stride, size_t off, uint32_t i)
{
	return (struct colo_ilink *)((char *)base + (size_t)i * stride + off);
}

/** Make @p l empty. */
static inline void
colo_ilist_init(struct colo_ilist *l)
{
	l->head = l->tail = COLO_ILIST_NONE;
}

static inline void
colo_ilist_unlink_(struct colo_ilist *l, void *base, size_t stride, size_t off, uint32_t i)
{
	struct colo_ilink *e = colo_ilink_at(base, stride, off, i);

	if (e->prev != COLO_ILIST_NONE)
		colo_ilink_at(base, stride, off, e->prev)->next = e->next;
	else
		l->head = e->next;
	if (e->next != COLO_ILIST_NONE)
		colo_ilink_at(base, stride, off, e->next)->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = COLO_ILIST_NONE;
}

static inline void
colo_ilist_append_(struct colo_ilist *l, void *base, size_t stride, size_t off, uint32_t i)
{
	struct colo_ilink *e = colo_ilink_at(base, stride, off, i);

	e->prev = l->tail;
	e->next = COLO_ILIST_NONE;
	if (l->tail != COLO_ILIST_NONE)
		colo_ilink_at(base, stride, off, l->tail)->next = i;
	else
		l->head = i;
	l->tail = i;
}

static inline void
colo_ilist_push_(struct colo_ilist *l, void *base, size_t stride, size_t off, uint32_t i)
{
	struct colo_ilink *e = colo_ilink_at(base, stride, off, i);

	e->prev = COLO_ILIST_NONE;
	e->next = l->head;
	if (l->head != COLO_ILIST_NONE)
		colo_ilink_at(base, stride, off, l->head)->prev = i;
	else
		l->tail = i;
	l->head = i;
}

static inline void
colo_ilist_move_tail_(struct colo_ilist *l, void *base, size_t stride, size_t off, uint32_t i)
{
	if (l->tail == i)
		return;
	colo_ilist_unlink_(l, base, stride, off, i);
	colo_ilist_append_(l, base, stride, off, i);
}

/** Take element @p i of array @p arr off list @p l; its link is @p member. */
#define colo_ilist_unlink(l, arr, member, i)                                                    \
	colo_ilist_unlink_(l, arr, sizeof(*(arr)), offsetof(__typeof__(*(arr)), member), i)

/** Put element @p i of array @p arr at the tail of list @p l; its link is @p member. */
#define colo_ilist_append(l, arr, member, i)                                                    \
	colo_ilist_append_(l, arr, sizeof(*(arr)), offsetof(__typeof__(*(arr)), member), i)

/** Put element @p i of array @p arr at the head of list @p l; its link is @p member. */
#define colo_ilist_push(l, arr, member, i)                                                      \
	colo_ilist_push_(l, arr, sizeof(*(arr)), offsetof(__typeof__(*(arr)), member), i)

/** Move element @p i of array @p arr, on list @p l, to its tail (an LRU touch). */
#define colo_ilist_move_tail(l, arr, member, i)                                                 \
	colo_ilist_move_tail_(l, arr, sizeof(*(arr)), offsetof(__typeof__(*(arr)), member), i)

#endif /* COLO_ILIST_H */
