/*
 * memory.c - clients for VirtualMemory and FrameAllocator.
 */
#include "internal.h"

int vm_map(cap_id_t vm, uint64_t size, uint32_t prot, void **addr)
{
	uint8_t arena[96] __attribute__((aligned(8))), answer[96] __attribute__((aligned(8)));
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_VirtualMemory_map_Params_b p = capos_VirtualMemory_map_Params_new_root(&b);
	capos_VirtualMemory_map_Params_set_size(p, size);
	capos_VirtualMemory_map_Params_set_prot(p, prot);
	struct capn_reader r;
	capn_struct_r root;
	int err = capos__call_simple(vm, CAPOS_VIRTUAL_MEMORY_INTERFACE_ID, CAPOS_VIRTUAL_MEMORY_METHOD_MAP, &b, answer,
	                             sizeof(answer), &r, &root);
	if (!err)
		*addr = (void *)capos_VirtualMemory_map_Results_get_addr((capos_VirtualMemory_map_Results_r){ root });
	return err;
}

int vm_unmap(cap_id_t vm, void *addr, uint64_t size)
{
	uint8_t arena[96] __attribute__((aligned(8))), answer[96] __attribute__((aligned(8)));
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_VirtualMemory_unmap_Params_b p = capos_VirtualMemory_unmap_Params_new_root(&b);
	capos_VirtualMemory_unmap_Params_set_addr(p, (uint64_t)addr);
	capos_VirtualMemory_unmap_Params_set_size(p, size);
	return capos__call_simple(vm, CAPOS_VIRTUAL_MEMORY_INTERFACE_ID, CAPOS_VIRTUAL_MEMORY_METHOD_UNMAP, &b, answer,
	                          sizeof(answer), NULL, NULL);
}

int vm_protect(cap_id_t vm, void *addr, uint64_t size, uint32_t prot)
{
	uint8_t arena[96] __attribute__((aligned(8))), answer[96] __attribute__((aligned(8)));
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_VirtualMemory_protect_Params_b p = capos_VirtualMemory_protect_Params_new_root(&b);
	capos_VirtualMemory_protect_Params_set_addr(p, (uint64_t)addr);
	capos_VirtualMemory_protect_Params_set_size(p, size);
	capos_VirtualMemory_protect_Params_set_prot(p, prot);
	return capos__call_simple(vm, CAPOS_VIRTUAL_MEMORY_INTERFACE_ID, CAPOS_VIRTUAL_MEMORY_METHOD_PROTECT, &b, answer,
	                          sizeof(answer), NULL, NULL);
}

int frame_alloc(cap_id_t frames, uint32_t count, uint64_t *base)
{
	uint8_t arena[96] __attribute__((aligned(8))), answer[96] __attribute__((aligned(8)));
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_FrameAllocator_allocate_Params_set_count(capos_FrameAllocator_allocate_Params_new_root(&b), count);
	struct capn_reader r;
	capn_struct_r root;
	int err = capos__call_simple(frames, CAPOS_FRAME_ALLOCATOR_INTERFACE_ID, CAPOS_FRAME_ALLOCATOR_METHOD_ALLOCATE,
	                             &b, answer, sizeof(answer), &r, &root);
	if (!err)
		*base = capos_FrameAllocator_allocate_Results_get_base((capos_FrameAllocator_allocate_Results_r){ root });
	return err;
}

int frame_free(cap_id_t frames, uint64_t base, uint32_t count)
{
	uint8_t arena[96] __attribute__((aligned(8))), answer[96] __attribute__((aligned(8)));
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_FrameAllocator_free_Params_b p = capos_FrameAllocator_free_Params_new_root(&b);
	capos_FrameAllocator_free_Params_set_base(p, base);
	capos_FrameAllocator_free_Params_set_count(p, count);
	return capos__call_simple(frames, CAPOS_FRAME_ALLOCATOR_INTERFACE_ID, CAPOS_FRAME_ALLOCATOR_METHOD_FREE, &b,
	                          answer, sizeof(answer), NULL, NULL);
}
