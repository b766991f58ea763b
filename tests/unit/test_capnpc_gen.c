/*
 * test_capnpc_gen.c - the accessors tools/capnpc-c generates for
 * schema/capos.capnp (schema/gen/capos.capnp.h): build messages with the
 * generated builders, read them back with the generated readers.
 *
 * Every field kind capos.capnp uses is covered: scalars, enums, Bool, Text,
 * Data, structs, lists of structs, List(Text), capabilities (Capability and
 * interface-typed fields), the unnamed unions (Binary, File, ExitStatus), the
 * named union ServiceGrant.source, and the method parameter and result
 * structs; plus the enum name tables, the interface table and the layout
 * constants, checked against what `capnp compile -ocapnp` reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gen/capos.capnp.h"

/* A builder over a static arena, and a reader of what it built. */
struct msg {
	uint64_t arena[1024];
	struct capn_builder b;
	struct capn_reader r;
};

static void msg_init(struct msg *m)
{
	memset(m, 0, sizeof *m);
	assert_int_equal(capn_builder_init(&m->b, m->arena, sizeof m->arena), CAPN_OK);
}

/* Frame the message and parse the framing, as a receiver would. */
static void msg_read(struct msg *m)
{
	const void *framed;
	size_t len;
	assert_int_equal(capn_builder_error(&m->b), CAPN_OK);
	assert_int_equal(capn_builder_finish(&m->b, &framed, &len), CAPN_OK);
	assert_int_equal(capn_reader_init_framed(&m->r, framed, len, NULL, NULL), CAPN_OK);
}

static void assert_text(capn_text t, const char *want)
{
	assert_non_null(t.str);
	assert_int_equal(t.len, strlen(want));
	assert_string_equal(t.str, want);
}

#define SET_TEXT(fn, b, s) assert_int_equal(fn(b, s, strlen(s)), CAPN_OK)

/* ------------------------------------------------------------------ layout */

static void test_layout_constants(void **state)
{
	(void)state;
	/* Sizes and ids as `capnp compile -ocapnp schema/capos.capnp` prints them. */
	assert_true(CAPOS_MANIFEST_TYPE_ID == 0xba13dc82cbd05060ull);
	assert_int_equal(CAPOS_MANIFEST_DATA_WORDS, 1);
	assert_int_equal(CAPOS_MANIFEST_PTR_COUNT, 3);
	assert_true(CAPOS_SERVICE_GRANT_TYPE_ID == 0xb5a638c5ba393e81ull);
	assert_int_equal(CAPOS_SERVICE_GRANT_DATA_WORDS, 3);
	assert_int_equal(CAPOS_SERVICE_GRANT_PTR_COUNT, 3);
	assert_int_equal(CAPOS_SERVICE_DATA_WORDS, 1);
	assert_int_equal(CAPOS_SERVICE_PTR_COUNT, 6);
	assert_int_equal(CAPOS_EXIT_STATUS_DATA_WORDS, 1);
	assert_int_equal(CAPOS_EXIT_STATUS_PTR_COUNT, 1);
	assert_int_equal(CAPOS_SERVICE_GRANT_SOURCE_SERVICE_PTR_INDEX, 2);
	assert_int_equal(CAPOS_SERVICE_ARGS_PTR_INDEX, 5);
	assert_int_equal(CAPOS_BINARY_IMAGE_PTR_INDEX, 1);
	assert_int_equal(CAPOS_ENDPOINT_MINT_RESULTS_CLIENT_PTR_INDEX, 0);
}

/* ------------------------------------------------------------------ the manifest */

static void build_manifest(struct msg *m)
{
	capos_Manifest_b man = capos_Manifest_new_root(&m->b);
	capos_Manifest_set_version(man, 1);

	capos_Service_list_b svcs = capos_Manifest_init_services(man, 2);
	capos_Service_b init = capos_Service_list_at(svcs, 0);
	SET_TEXT(capos_Service_set_name, init, "init");
	SET_TEXT(capos_Service_set_binary, init, "init-bin");

	capos_ServiceGrant_list_b caps = capos_Service_init_caps(init, 2);
	capos_ServiceGrant_b g0 = capos_ServiceGrant_list_at(caps, 0);
	SET_TEXT(capos_ServiceGrant_set_name, g0, "console");
	SET_TEXT(capos_ServiceGrant_set_interface, g0, "Console");
	capos_ServiceGrant_set_interfaceId(g0, CAPOS_CONSOLE_INTERFACE_ID);
	capos_ServiceGrant_set_badge(g0, 0x1122334455667788ull);
	capos_ServiceGrant_set_policy(g0, CAPOS_HOLD_POLICY_MOVE_ONLY);
	capos_ServiceGrant_source_set_kernel(capos_ServiceGrant_build_source(g0),
	                                     CAPOS_KERNEL_CAP_CONSOLE);

	capos_ServiceGrant_b g1 = capos_ServiceGrant_list_at(caps, 1);
	SET_TEXT(capos_ServiceGrant_set_name, g1, "fs");
	capos_ServiceGrant_set_policy(g1, CAPOS_HOLD_POLICY_NON_TRANSFERABLE);
	capos_ServiceExport_b ex =
		capos_ServiceGrant_source_init_service(capos_ServiceGrant_build_source(g1));
	SET_TEXT(capos_ServiceExport_set_service, ex, "fsd");
	SET_TEXT(capos_ServiceExport_set_export, ex, "root");

	capos_Export_list_b exports = capos_Service_init_exports(init, 1);
	capos_Export_b e0 = capos_Export_list_at(exports, 0);
	SET_TEXT(capos_Export_set_name, e0, "svc");
	capos_Export_set_interfaceId(e0, CAPOS_TIMER_INTERFACE_ID);

	capos_Quota_b q = capos_Service_init_quota(init);
	capos_Quota_set_capSlots(q, 64);
	capos_Quota_set_outstandingCalls(q, 8);
	capos_Quota_set_memoryPages(q, 4096);
	capos_Quota_set_children(q, 3);

	capn_list_b args = capos_Service_init_args(init, 3);
	static const char *const argv[] = { "init", "-v", "" };
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(capn_set_text(capn_list_ptr_elem(args, i), 0, argv[i], strlen(argv[i])),
		                 CAPN_OK);

	capos_Service_b second = capos_Service_list_at(svcs, 1);
	SET_TEXT(capos_Service_set_name, second, "second");

	capos_Binary_list_b bins = capos_Manifest_init_binaries(man, 2);
	SET_TEXT(capos_Binary_set_path, capos_Binary_list_at(bins, 0), "bin/init");
	static const uint8_t elf[] = { 0x7f, 'E', 'L', 'F', 0, 2 };
	capos_Binary_b b1 = capos_Binary_list_at(bins, 1);
	SET_TEXT(capos_Binary_set_name, b1, "image");
	assert_int_equal(capos_Binary_set_image(b1, elf, sizeof elf), CAPN_OK);

	capos_File_list_b files = capos_Manifest_init_files(man, 1);
	capos_File_b f0 = capos_File_list_at(files, 0);
	SET_TEXT(capos_File_set_path, f0, "/etc/hosts");
	assert_int_equal(capos_File_set_data(f0, "127.0.0.1 localhost\n", 20), CAPN_OK);
}

static void test_manifest_round_trip(void **state)
{
	(void)state;
	static struct msg m;
	msg_init(&m);
	build_manifest(&m);
	msg_read(&m);

	capos_Manifest_r man = capos_Manifest_read_root(&m.r);
	assert_int_equal(capos_Manifest_get_version(man), 1);

	capos_Service_list_r svcs = capos_Manifest_get_services(man);
	assert_int_equal(capos_Service_list_len(svcs), 2);
	capos_Service_r init = capos_Service_list_get(svcs, 0);
	assert_text(capos_Service_get_name(init), "init");
	assert_text(capos_Service_get_binary(init), "init-bin");

	capos_ServiceGrant_list_r caps = capos_Service_get_caps(init);
	assert_int_equal(capos_ServiceGrant_list_len(caps), 2);
	capos_ServiceGrant_r g0 = capos_ServiceGrant_list_get(caps, 0);
	assert_text(capos_ServiceGrant_get_name(g0), "console");
	assert_text(capos_ServiceGrant_get_interface(g0), "Console");
	assert_true(capos_ServiceGrant_get_interfaceId(g0) == CAPOS_CONSOLE_INTERFACE_ID);
	assert_true(capos_ServiceGrant_get_badge(g0) == 0x1122334455667788ull);
	assert_int_equal(capos_ServiceGrant_get_policy(g0), CAPOS_HOLD_POLICY_MOVE_ONLY);
	capos_ServiceGrant_source_r s0 = capos_ServiceGrant_get_source(g0);
	assert_int_equal(capos_ServiceGrant_source_which(s0), CAPOS_SERVICE_GRANT_SOURCE_WHICH_KERNEL);
	assert_int_equal(capos_ServiceGrant_source_get_kernel(s0), CAPOS_KERNEL_CAP_CONSOLE);
	assert_false(capos_ServiceGrant_source_has_service(s0));

	capos_ServiceGrant_r g1 = capos_ServiceGrant_list_get(caps, 1);
	assert_int_equal(capos_ServiceGrant_get_policy(g1), CAPOS_HOLD_POLICY_NON_TRANSFERABLE);
	assert_false(capos_ServiceGrant_has_interface(g1));
	assert_text(capos_ServiceGrant_get_interface(g1), "");
	capos_ServiceGrant_source_r s1 = capos_ServiceGrant_get_source(g1);
	assert_int_equal(capos_ServiceGrant_source_which(s1), CAPOS_SERVICE_GRANT_SOURCE_WHICH_SERVICE);
	assert_true(capos_ServiceGrant_source_has_service(s1));
	capos_ServiceExport_r ex = capos_ServiceGrant_source_get_service(s1);
	assert_text(capos_ServiceExport_get_service(ex), "fsd");
	assert_text(capos_ServiceExport_get_export(ex), "root");

	capos_Export_list_r exports = capos_Service_get_exports(init);
	assert_int_equal(capos_Export_list_len(exports), 1);
	assert_text(capos_Export_get_name(capos_Export_list_get(exports, 0)), "svc");
	assert_true(capos_Export_get_interfaceId(capos_Export_list_get(exports, 0)) ==
	            CAPOS_TIMER_INTERFACE_ID);

	assert_true(capos_Service_has_quota(init));
	capos_Quota_r q = capos_Service_get_quota(init);
	assert_int_equal(capos_Quota_get_capSlots(q), 64);
	assert_int_equal(capos_Quota_get_outstandingCalls(q), 8);
	assert_int_equal(capos_Quota_get_memoryPages(q), 4096);
	assert_int_equal(capos_Quota_get_children(q), 3);

	capn_list_r args = capos_Service_get_args(init);
	assert_int_equal(capn_list_len(args), 3);
	assert_text(capn_list_get_text(args, 0), "init");
	assert_text(capn_list_get_text(args, 1), "-v");
	assert_text(capn_list_get_text(args, 2), "");

	capos_Service_r second = capos_Service_list_get(svcs, 1);
	assert_text(capos_Service_get_name(second), "second");
	assert_false(capos_Service_has_quota(second));
	assert_int_equal(capos_Quota_get_capSlots(capos_Service_get_quota(second)), 0);
	assert_int_equal(capos_ServiceGrant_list_len(capos_Service_get_caps(second)), 0);

	capos_Binary_list_r bins = capos_Manifest_get_binaries(man);
	assert_int_equal(capos_Binary_list_len(bins), 2);
	capos_Binary_r b0 = capos_Binary_list_get(bins, 0);
	assert_int_equal(capos_Binary_which(b0), CAPOS_BINARY_WHICH_PATH);
	assert_text(capos_Binary_get_path(b0), "bin/init");
	assert_false(capos_Binary_has_image(b0));
	assert_int_equal(capos_Binary_get_image(b0).len, 0);
	capos_Binary_r b1 = capos_Binary_list_get(bins, 1);
	assert_int_equal(capos_Binary_which(b1), CAPOS_BINARY_WHICH_IMAGE);
	capn_data img = capos_Binary_get_image(b1);
	assert_int_equal(img.len, 6);
	assert_memory_equal(img.ptr, "\x7f" "ELF\0\2", 6);
	/* The inactive member reads as its default, and does not misread the
	 * image bytes as text (which would record CAPN_ERR_TEXT). */
	assert_text(capos_Binary_get_path(b1), "");

	capos_File_r f0 = capos_File_list_get(capos_Manifest_get_files(man), 0);
	assert_text(capos_File_get_path(f0), "/etc/hosts");
	assert_int_equal(capos_File_which(f0), CAPOS_FILE_WHICH_DATA);
	assert_int_equal(capos_File_get_data(f0).len, 20);
	assert_memory_equal(capos_File_get_data(f0).ptr, "127.0.0.1 localhost\n", 20);

	assert_int_equal(capn_reader_error(&m.r), CAPN_OK);
}

/* ------------------------------------------------------------------ unions */

static void test_exit_status_union(void **state)
{
	(void)state;
	static struct msg m;
	msg_init(&m);
	capos_ExitStatus_b st = capos_ExitStatus_new_root(&m.b);

	struct capn_reader r;
	capos_ExitStatus_set_code(st, -42);
	assert_int_equal(capn_builder_as_reader(&m.b, &r), CAPN_OK);
	capos_ExitStatus_r rs = capos_ExitStatus_read_root(&r);
	assert_int_equal(capos_ExitStatus_which(rs), CAPOS_EXIT_STATUS_WHICH_CODE);
	assert_int_equal(capos_ExitStatus_get_code(rs), -42);
	assert_false(capos_ExitStatus_has_fault(rs));

	assert_int_equal(capos_ExitStatus_set_fault(st, "page fault", 10), CAPN_OK);
	assert_int_equal(capn_builder_as_reader(&m.b, &r), CAPN_OK);
	rs = capos_ExitStatus_read_root(&r);
	assert_int_equal(capos_ExitStatus_which(rs), CAPOS_EXIT_STATUS_WHICH_FAULT);
	assert_text(capos_ExitStatus_get_fault(rs), "page fault");
	assert_int_equal(capos_ExitStatus_get_code(rs), 0); /* inactive: its default */

	capos_ExitStatus_set_killed(st);
	assert_int_equal(capn_builder_as_reader(&m.b, &r), CAPN_OK);
	rs = capos_ExitStatus_read_root(&r);
	assert_int_equal(capos_ExitStatus_which(rs), CAPOS_EXIT_STATUS_WHICH_KILLED);
	assert_text(capos_ExitStatus_get_fault(rs), "");
	assert_false(capos_ExitStatus_has_fault(rs));
	assert_int_equal(capn_reader_error(&r), CAPN_OK);
}

/* ------------------------------------------------------------------ methods */

static void test_params_and_results(void **state)
{
	(void)state;
	static struct msg m;
	struct capn_reader r;

	/* Console.readLine: params and results */
	msg_init(&m);
	capos_Console_readLine_Params_set_maxBytes(capos_Console_readLine_Params_new_root(&m.b), 256);
	msg_read(&m);
	assert_int_equal(
		capos_Console_readLine_Params_get_maxBytes(capos_Console_readLine_Params_read_root(&m.r)), 256);

	msg_init(&m);
	capos_Console_readLine_Results_b lr = capos_Console_readLine_Results_new_root(&m.b);
	SET_TEXT(capos_Console_readLine_Results_set_line, lr, "hello");
	capos_Console_readLine_Results_set_eof(lr, true);
	msg_read(&m);
	capos_Console_readLine_Results_r lrr = capos_Console_readLine_Results_read_root(&m.r);
	assert_text(capos_Console_readLine_Results_get_line(lrr), "hello");
	assert_true(capos_Console_readLine_Results_get_eof(lrr));

	/* Endpoint.mint: a Capability result is a cap-table index */
	msg_init(&m);
	capos_Endpoint_mint_Params_b mp = capos_Endpoint_mint_Params_new_root(&m.b);
	capos_Endpoint_mint_Params_set_badge(mp, 7);
	capos_Endpoint_mint_Params_set_interfaceId(mp, CAPOS_CONSOLE_INTERFACE_ID);
	msg_read(&m);
	capos_Endpoint_mint_Params_r mpr = capos_Endpoint_mint_Params_read_root(&m.r);
	assert_true(capos_Endpoint_mint_Params_get_badge(mpr) == 7);
	assert_true(capos_Endpoint_mint_Params_get_interfaceId(mpr) == CAPOS_CONSOLE_INTERFACE_ID);

	msg_init(&m);
	capos_Endpoint_mint_Results_b mr = capos_Endpoint_mint_Results_new_root(&m.b);
	assert_int_equal(capn_builder_as_reader(&m.b, &r), CAPN_OK);
	assert_int_equal(capos_Endpoint_mint_Results_get_client(capos_Endpoint_mint_Results_read_root(&r)),
	                 CAPN_NULL_CAP);
	assert_int_equal(capos_Endpoint_mint_Results_set_client(mr, 5), CAPN_OK);
	msg_read(&m);
	capos_Endpoint_mint_Results_r mrr = capos_Endpoint_mint_Results_read_root(&m.r);
	assert_true(capos_Endpoint_mint_Results_has_client(mrr));
	assert_int_equal(capos_Endpoint_mint_Results_get_client(mrr), 5);

	/* ProcessSpawner.spawn: List(CapGrant) with enums, a struct, and an
	 * interface-typed result */
	msg_init(&m);
	capos_ProcessSpawner_spawn_Params_b sp = capos_ProcessSpawner_spawn_Params_new_root(&m.b);
	SET_TEXT(capos_ProcessSpawner_spawn_Params_set_name, sp, "child");
	SET_TEXT(capos_ProcessSpawner_spawn_Params_set_binary, sp, "bin");
	capos_CapGrant_list_b grants = capos_ProcessSpawner_spawn_Params_init_grants(sp, 2);
	for (uint32_t i = 0; i < 2; i++) {
		capos_CapGrant_b g = capos_CapGrant_list_at(grants, i);
		SET_TEXT(capos_CapGrant_set_name, g, i ? "timer" : "console");
		capos_CapGrant_set_cap(g, 10 + i);
		capos_CapGrant_set_mode(g, i ? CAPOS_TRANSFER_MODE_MOVE : CAPOS_TRANSFER_MODE_COPY);
		capos_CapGrant_set_scope(g, i ? CAPOS_CAP_SCOPE_SESSION : CAPOS_CAP_SCOPE_PROCESS);
	}
	capos_Quota_set_children(capos_ProcessSpawner_spawn_Params_init_quota(sp), 9);
	msg_read(&m);
	capos_ProcessSpawner_spawn_Params_r spr = capos_ProcessSpawner_spawn_Params_read_root(&m.r);
	assert_text(capos_ProcessSpawner_spawn_Params_get_name(spr), "child");
	capos_CapGrant_list_r gl = capos_ProcessSpawner_spawn_Params_get_grants(spr);
	assert_int_equal(capos_CapGrant_list_len(gl), 2);
	capos_CapGrant_r g1 = capos_CapGrant_list_get(gl, 1);
	assert_text(capos_CapGrant_get_name(g1), "timer");
	assert_int_equal(capos_CapGrant_get_cap(g1), 11);
	assert_int_equal(capos_CapGrant_get_mode(g1), CAPOS_TRANSFER_MODE_MOVE);
	assert_int_equal(capos_CapGrant_get_scope(g1), CAPOS_CAP_SCOPE_SESSION);
	assert_int_equal(capos_CapGrant_get_mode(capos_CapGrant_list_get(gl, 0)), CAPOS_TRANSFER_MODE_COPY);
	assert_int_equal(capos_Quota_get_children(capos_ProcessSpawner_spawn_Params_get_quota(spr)), 9);

	msg_init(&m);
	capos_ProcessSpawner_spawn_Results_b sr = capos_ProcessSpawner_spawn_Results_new_root(&m.b);
	assert_int_equal(capos_ProcessSpawner_spawn_Results_set_handle(sr, 3), CAPN_OK);
	msg_read(&m);
	assert_int_equal(capos_ProcessSpawner_spawn_Results_get_handle(
				 capos_ProcessSpawner_spawn_Results_read_root(&m.r)),
	                 3);

	/* ProcessHandle.wait: a struct result with a union */
	msg_init(&m);
	capos_ExitStatus_set_code(
		capos_ProcessHandle_wait_Results_init_status(capos_ProcessHandle_wait_Results_new_root(&m.b)), 3);
	msg_read(&m);
	capos_ExitStatus_r st =
		capos_ProcessHandle_wait_Results_get_status(capos_ProcessHandle_wait_Results_read_root(&m.r));
	assert_int_equal(capos_ExitStatus_which(st), CAPOS_EXIT_STATUS_WHICH_CODE);
	assert_int_equal(capos_ExitStatus_get_code(st), 3);

	/* Timer.now results, VirtualMemory.map params */
	msg_init(&m);
	capos_Timer_now_Results_set_ns(capos_Timer_now_Results_new_root(&m.b), 123456789012ull);
	msg_read(&m);
	assert_true(capos_Timer_now_Results_get_ns(capos_Timer_now_Results_read_root(&m.r)) ==
	            123456789012ull);

	msg_init(&m);
	capos_VirtualMemory_map_Params_b vp = capos_VirtualMemory_map_Params_new_root(&m.b);
	capos_VirtualMemory_map_Params_set_hint(vp, 0x400000);
	capos_VirtualMemory_map_Params_set_size(vp, 8192);
	capos_VirtualMemory_map_Params_set_prot(vp, 3);
	msg_read(&m);
	capos_VirtualMemory_map_Params_r vpr = capos_VirtualMemory_map_Params_read_root(&m.r);
	assert_true(capos_VirtualMemory_map_Params_get_hint(vpr) == 0x400000);
	assert_true(capos_VirtualMemory_map_Params_get_size(vpr) == 8192);
	assert_int_equal(capos_VirtualMemory_map_Params_get_prot(vpr), 3);
}

static void test_method_ordinals(void **state)
{
	(void)state;
	assert_int_equal(CAPOS_CONSOLE_METHOD_WRITE, 0);
	assert_int_equal(CAPOS_CONSOLE_METHOD_WRITE_LINE, 1);
	assert_int_equal(CAPOS_CONSOLE_METHOD_READ_LINE, 2);
	assert_int_equal(CAPOS_TIMER_METHOD_NOW, 0);
	assert_int_equal(CAPOS_TIMER_METHOD_SLEEP, 1);
	assert_int_equal(CAPOS_NULL_CAP_METHOD_NOP, 0);
	assert_int_equal(CAPOS_PROCESS_SPAWNER_METHOD_SPAWN, 0);
	assert_int_equal(CAPOS_PROCESS_HANDLE_METHOD_WAIT, 0);
	assert_int_equal(CAPOS_PROCESS_HANDLE_METHOD_KILL, 1);
	assert_int_equal(CAPOS_ENDPOINT_METHOD_MINT, 0);
	assert_int_equal(CAPOS_VIRTUAL_MEMORY_METHOD_PROTECT, 2);
	assert_int_equal(CAPOS_FRAME_ALLOCATOR_METHOD_FREE, 1);
	assert_true(CAPOS_CONSOLE_INTERFACE_ID == 0xa0efbd8b58b5b85full);
	assert_true(CAPOS_FRAME_ALLOCATOR_INTERFACE_ID == 0x9bf88180678a753full);
}

/* ------------------------------------------------------------------ tables */

static void test_enum_names(void **state)
{
	(void)state;
	assert_string_equal(capos_ErrorCode_name(CAPOS_ERROR_CODE_OK), "ok");
	assert_string_equal(capos_ErrorCode_name(CAPOS_ERROR_CODE_STALE_CAP), "staleCap");
	assert_string_equal(capos_ErrorCode_name(CAPOS_ERROR_CODE_INTERNAL), "internal");
	assert_int_equal(CAPOS_ERROR_CODE_INTERNAL, 22);
	assert_null(capos_ErrorCode_name(23));
	assert_null(capos_ErrorCode_name(0xffffffffu));
	assert_string_equal(capos_CapException_Type_name(CAPOS_CAP_EXCEPTION_TYPE_UNIMPLEMENTED),
	                    "unimplemented");
	assert_null(capos_CapException_Type_name(4));
	assert_string_equal(capos_KernelCap_name(CAPOS_KERNEL_CAP_NULL), "null");
	assert_string_equal(capos_KernelCap_name(CAPOS_KERNEL_CAP_FRAME_ALLOCATOR), "frameAllocator");
	assert_string_equal(capos_HoldPolicy_name(CAPOS_HOLD_POLICY_MOVE_ONLY), "moveOnly");
	assert_string_equal(capos_TransferMode_name(1), "move");
	assert_string_equal(capos_CapScope_name(1), "session");
}

static void test_interface_table(void **state)
{
	(void)state;
	assert_int_equal(capos_interface_count, 10);
	const struct capn_interface_info *c = capos_interface_by_name("Console", 7);
	assert_non_null(c);
	assert_ptr_equal(c, &capos_interfaces[0]);
	assert_true(c->id == CAPOS_CONSOLE_INTERFACE_ID);
	assert_int_equal(c->method_count, 3);
	assert_string_equal(c->methods[CAPOS_CONSOLE_METHOD_WRITE_LINE].name, "writeLine");
	assert_int_equal(c->methods[CAPOS_CONSOLE_METHOD_READ_LINE].ordinal, 2);

	/* Exact length matches only: no prefixes, no extensions. */
	assert_null(capos_interface_by_name("Cons", 4));
	assert_null(capos_interface_by_name("ConsoleX", 8));
	assert_null(capos_interface_by_name("console", 7));
	assert_non_null(capos_interface_by_name("Console and more", 7));
	assert_null(capos_interface_by_name("", 0));

	const struct capn_interface_info *t = capos_interface_by_id(CAPOS_TIMER_INTERFACE_ID);
	assert_non_null(t);
	assert_string_equal(t->name, "Timer");
	assert_string_equal(t->methods[CAPOS_TIMER_METHOD_SLEEP].name, "sleep");
	assert_null(capos_interface_by_id(0));
	assert_null(capos_interface_by_id(CAPOS_MANIFEST_TYPE_ID)); /* a struct, not an interface */

	/* Every entry is found both ways, in declaration order. */
	static const char *const order[] = { "Console", "Timer", "NullCap", "ProcessSpawner",
		                             "ProcessHandle", "Endpoint", "EndpointFactory", "Echo", "VirtualMemory",
		                             "FrameAllocator" };
	for (size_t i = 0; i < capos_interface_count; i++) {
		const struct capn_interface_info *e = &capos_interfaces[i];
		assert_string_equal(e->name, order[i]);
		assert_ptr_equal(capos_interface_by_name(e->name, strlen(e->name)), e);
		assert_ptr_equal(capos_interface_by_id(e->id), e);
		for (uint16_t k = 0; k < e->method_count; k++)
			assert_int_equal(e->methods[k].ordinal, k);
	}
	const struct capn_interface_info *fa = capos_interface_by_name("FrameAllocator", 14);
	assert_string_equal(fa->methods[CAPOS_FRAME_ALLOCATOR_METHOD_ALLOCATE].name, "allocate");
	assert_true(fa->id == CAPOS_FRAME_ALLOCATOR_INTERFACE_ID);
}

/* ------------------------------------------------------------------ evolution */

static void test_older_shorter_struct(void **state)
{
	(void)state;
	static struct msg m;
	msg_init(&m);
	/* A ServiceGrant as an older schema might have written it: one data word
	 * (interfaceId) and one pointer (name), nothing else. */
	capn_struct_b old = capn_builder_root(&m.b, 1, 1);
	capn_set_u64(old, 0, 0xabcdefull, 0);
	assert_int_equal(capn_set_text(old, 0, "old", 3), CAPN_OK);
	msg_read(&m);

	capos_ServiceGrant_r g = capos_ServiceGrant_read_root(&m.r);
	assert_text(capos_ServiceGrant_get_name(g), "old");
	assert_true(capos_ServiceGrant_get_interfaceId(g) == 0xabcdefull);
	assert_false(capos_ServiceGrant_has_interface(g));
	assert_text(capos_ServiceGrant_get_interface(g), "");
	assert_true(capos_ServiceGrant_get_badge(g) == 0);
	assert_int_equal(capos_ServiceGrant_get_policy(g), CAPOS_HOLD_POLICY_TRANSFERABLE);
	capos_ServiceGrant_source_r src = capos_ServiceGrant_get_source(g);
	assert_int_equal(capos_ServiceGrant_source_which(src), CAPOS_SERVICE_GRANT_SOURCE_WHICH_KERNEL);
	assert_int_equal(capos_ServiceGrant_source_get_kernel(src), CAPOS_KERNEL_CAP_CONSOLE);
	assert_false(capos_ServiceGrant_source_has_service(src));
	assert_text(capos_ServiceExport_get_service(capos_ServiceGrant_source_get_service(src)), "");

	/* An empty struct reads as all defaults too. */
	msg_init(&m);
	capn_builder_root(&m.b, 0, 0);
	msg_read(&m);
	capos_Service_r s = capos_Service_read_root(&m.r);
	assert_text(capos_Service_get_name(s), "");
	assert_int_equal(capos_Service_list_len(capos_Manifest_get_services(capos_Manifest_read_root(&m.r))), 0);
	assert_int_equal(capos_Quota_get_memoryPages(capos_Service_get_quota(s)), 0);
	assert_int_equal(capn_list_len(capos_Service_get_args(s)), 0);
	assert_int_equal(capn_reader_error(&m.r), CAPN_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_constants),
		cmocka_unit_test(test_manifest_round_trip),
		cmocka_unit_test(test_exit_status_union),
		cmocka_unit_test(test_params_and_results),
		cmocka_unit_test(test_method_ordinals),
		cmocka_unit_test(test_enum_names),
		cmocka_unit_test(test_interface_table),
		cmocka_unit_test(test_older_shorter_struct),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
