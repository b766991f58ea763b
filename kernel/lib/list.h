/*
 * list.h - intrusive doubly-linked lists (a node lives inside the object it
 * links, so linking never allocates and unlinking is O(1)).
 */
#ifndef KERNEL_LIB_LIST_H
#define KERNEL_LIB_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct list_node {
	struct list_node *prev, *next;
};

/* A list head is a node linked to itself when empty. */
#define LIST_INIT(name) { &(name), &(name) }

static inline void list_init(struct list_node *head) { head->prev = head->next = head; }
static inline bool list_empty(const struct list_node *head) { return head->next == head; }
/* A node that is in no list (after list_init or list_del). */
static inline bool list_linked(const struct list_node *n) { return n->next != n && n->next != NULL; }

static inline void list_insert_before(struct list_node *pos, struct list_node *n)
{
	n->prev = pos->prev;
	n->next = pos;
	pos->prev->next = n;
	pos->prev = n;
}

static inline void list_push_back(struct list_node *head, struct list_node *n) { list_insert_before(head, n); }

static inline void list_del(struct list_node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}

static inline struct list_node *list_pop_front(struct list_node *head)
{
	if (list_empty(head))
		return NULL;
	struct list_node *n = head->next;
	list_del(n);
	return n;
}

#define list_entry(node, type, member) ((type *)((char *)(node) - offsetof(type, member)))

#define list_for_each_safe(pos, tmp, head) \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); (pos) = (tmp), (tmp) = (pos)->next)

#endif /* KERNEL_LIB_LIST_H */
