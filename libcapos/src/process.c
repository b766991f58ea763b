/*
 * process.c - clients for ProcessSpawner, ProcessHandle and endpoints.
 */
#include "internal.h"

/* Messages to the spawner are small unless they carry many grants. */
#define SPAWN_ARENA 4096u

/* Call, expecting one capability back (spawn, startService, mint, create). */
static int call_for_cap(cap_id_t cap, uint64_t iface, uint16_t method, struct capn_builder *b, cap_id_t *out)
{
	const void *msg = NULL;
	size_t len = 0;
	if (b) {
		int err = capos_msg_end(b, &msg, &len);
		if (err)
			return err;
	}
	uint8_t answer[256] __attribute__((aligned(8)));
	struct cap_call_args a = { .cap = cap, .iface = iface, .method = method, .params = msg,
	                           .params_len = len, .result = answer, .result_len = sizeof(answer) };
	struct cap_call_result res;
	int err = cap_call_ex(capos_ring(), &a, &res);
	if (err)
		return err;
	if (res.ncaps != 1)
		return -(int)CAPOS_ERROR_CODE_INTERNAL;
	*out = res.caps[0];
	return 0;
}

int process_spawn(cap_id_t spawner, const char *name, const char *binary, const struct capos_grant *grants,
                  uint32_t ngrants, const struct capos_quota *quota, cap_id_t *handle)
{
	uint8_t *arena = capos_malloc(SPAWN_ARENA + 64u * ngrants);
	if (!arena)
		return -(int)CAPOS_ERROR_CODE_RESOURCE_EXHAUSTED;
	struct capn_builder b;
	capn_builder_init(&b, arena, SPAWN_ARENA + 64u * ngrants);
	capos_ProcessSpawner_spawn_Params_b p = capos_ProcessSpawner_spawn_Params_new_root(&b);
	capos_ProcessSpawner_spawn_Params_set_name(p, name, strlen(name));
	capos_ProcessSpawner_spawn_Params_set_binary(p, binary, strlen(binary));
	capos_CapGrant_list_b gl = capos_ProcessSpawner_spawn_Params_init_grants(p, ngrants);
	for (uint32_t i = 0; i < ngrants; i++) {
		capos_CapGrant_b g = capos_CapGrant_list_at(gl, i);
		capos_CapGrant_set_name(g, grants[i].name, strlen(grants[i].name));
		capos_CapGrant_set_cap(g, grants[i].cap);
		capos_CapGrant_set_mode(g, (enum capos_TransferMode)grants[i].mode);
		capos_CapGrant_set_scope(g, (enum capos_CapScope)grants[i].scope);
	}
	if (quota) {
		capos_Quota_b q = capos_ProcessSpawner_spawn_Params_init_quota(p);
		capos_Quota_set_capSlots(q, quota->cap_slots);
		capos_Quota_set_outstandingCalls(q, quota->outstanding_calls);
		capos_Quota_set_memoryPages(q, quota->memory_pages);
		capos_Quota_set_children(q, quota->children);
	}
	int err = call_for_cap(spawner, CAPOS_PROCESS_SPAWNER_INTERFACE_ID, CAPOS_PROCESS_SPAWNER_METHOD_SPAWN, &b,
	                       handle);
	capos_free(arena);
	return err;
}

int process_start_service(cap_id_t spawner, const char *name, cap_id_t *handle)
{
	uint8_t arena[256] __attribute__((aligned(8)));
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_ProcessSpawner_startService_Params_set_name(capos_ProcessSpawner_startService_Params_new_root(&b), name,
	                                                  strlen(name));
	return call_for_cap(spawner, CAPOS_PROCESS_SPAWNER_INTERFACE_ID, CAPOS_PROCESS_SPAWNER_METHOD_START_SERVICE,
	                    &b, handle);
}

int process_services(cap_id_t spawner, void (*cb)(const char *name, void *ud), void *ud)
{
	size_t len = 8192;
	uint8_t *answer = capos_malloc(len);
	if (!answer)
		return -(int)CAPOS_ERROR_CODE_RESOURCE_EXHAUSTED;
	struct capn_reader r;
	capn_struct_r root;
	int err = capos__call_simple(spawner, CAPOS_PROCESS_SPAWNER_INTERFACE_ID, CAPOS_PROCESS_SPAWNER_METHOD_SERVICES,
	                             NULL, answer, len, &r, &root);
	int n = 0;
	if (!err) {
		capn_list_r names = capos_ProcessSpawner_services_Results_get_names(
			(capos_ProcessSpawner_services_Results_r){ root });
		for (uint32_t i = 0; i < capn_list_len(names); i++) {
			capn_text t = capn_list_get_text(names, i);
			if (!capn_reader_error(&r))
				cb(t.str, ud);
		}
		n = (int)capn_list_len(names);
		if (capn_reader_error(&r))
			err = -(int)CAPOS_ERROR_CODE_BAD_MESSAGE;
	}
	capos_free(answer);
	return err ? err : n;
}

static int read_status(const void *msg, size_t len, struct capos_exit *st)
{
	struct capn_reader r;
	if (capos_msg_read(&r, msg, len))
		return -(int)CAPOS_ERROR_CODE_BAD_MESSAGE;
	capos_ExitStatus_r s = capos_ProcessHandle_wait_Results_get_status(capos_ProcessHandle_wait_Results_read_root(&r));
	*st = (struct capos_exit){ .how = capos_ExitStatus_which(s) };
	if (st->how == CAPOS_EXIT_STATUS_WHICH_CODE) {
		st->code = capos_ExitStatus_get_code(s);
	} else if (st->how == CAPOS_EXIT_STATUS_WHICH_FAULT) {
		capn_text t = capos_ExitStatus_get_fault(s);
		size_t n = t.len < sizeof(st->fault) - 1 ? t.len : sizeof(st->fault) - 1;
		memcpy(st->fault, t.str, n);
		st->fault[n] = '\0';
	}
	return capn_reader_error(&r) ? -(int)CAPOS_ERROR_CODE_BAD_MESSAGE : 0;
}

int process_wait_submit(cap_id_t handle, void *answer, size_t len, uint64_t *user_data)
{
	struct cap_call_args a = { .cap = handle, .iface = CAPOS_PROCESS_HANDLE_INTERFACE_ID,
	                           .method = CAPOS_PROCESS_HANDLE_METHOD_WAIT, .result = answer, .result_len = len };
	return cap_call_submit(capos_ring(), &a, user_data);
}

int process_wait_finish(const struct capos_cqe *cqe, void *answer, size_t len, struct capos_exit *st)
{
	struct cap_call_args a = { .result = answer, .result_len = len };
	struct cap_call_result res;
	int err = cap_call_finish(&a, cqe, &res);
	if (err)
		return err;
	return res.msg ? read_status(res.msg, res.msg_len, st) : -(int)CAPOS_ERROR_CODE_BAD_MESSAGE;
}

int process_wait(cap_id_t handle, struct capos_exit *st)
{
	uint8_t answer[320] __attribute__((aligned(8)));
	uint64_t ud;
	int err = process_wait_submit(handle, answer, sizeof(answer), &ud);
	struct capos_cqe c;
	if (!err)
		err = capos_ring_wait(capos_ring(), ud, &c);
	return err ? err : process_wait_finish(&c, answer, sizeof(answer), st);
}

int process_kill(cap_id_t handle)
{
	uint8_t answer[64] __attribute__((aligned(8)));
	return capos__call_simple(handle, CAPOS_PROCESS_HANDLE_INTERFACE_ID, CAPOS_PROCESS_HANDLE_METHOD_KILL, NULL,
	                          answer, sizeof(answer), NULL, NULL);
}

int endpoint_mint(cap_id_t endpoint, uint64_t badge, cap_id_t *client)
{
	uint8_t arena[96] __attribute__((aligned(8)));
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_Endpoint_mint_Params_set_badge(capos_Endpoint_mint_Params_new_root(&b), badge);
	return call_for_cap(endpoint, CAPOS_ENDPOINT_INTERFACE_ID, CAPOS_ENDPOINT_METHOD_MINT, &b, client);
}

int endpoint_create(cap_id_t factory, iface_id_t iface, cap_id_t *endpoint)
{
	uint8_t arena[96] __attribute__((aligned(8)));
	struct capn_builder b;
	capn_builder_init(&b, arena, sizeof(arena));
	capos_EndpointFactory_create_Params_set_interfaceId(capos_EndpointFactory_create_Params_new_root(&b), iface);
	return call_for_cap(factory, CAPOS_ENDPOINT_FACTORY_INTERFACE_ID, CAPOS_ENDPOINT_FACTORY_METHOD_CREATE, &b,
	                    endpoint);
}
