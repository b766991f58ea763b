/*
 * capset.c - finding granted capabilities by name.
 */
#include "internal.h"

int capset_get(const char *name, cap_id_t *out_cap, iface_id_t *out_iface)
{
	const struct capos_capset *cs = capos__capset;
	for (uint32_t i = 0; i < cs->cap_count; i++) {
		if (strcmp(cs->caps[i].name, name) == 0) {
			if (out_cap)
				*out_cap = cs->caps[i].cap;
			if (out_iface)
				*out_iface = cs->caps[i].iface;
			return 0;
		}
	}
	return -(int)CAPOS_ERROR_CODE_NOT_FOUND;
}

size_t capset_iter(void (*cb)(const char *name, cap_id_t cap, iface_id_t iface, void *ud), void *ud)
{
	const struct capos_capset *cs = capos__capset;
	for (uint32_t i = 0; i < cs->cap_count; i++)
		cb(cs->caps[i].name, cs->caps[i].cap, cs->caps[i].iface, ud);
	return cs->cap_count;
}
