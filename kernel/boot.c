/*
 * boot.c - from manifest.bin to running processes, and back to nothing.
 *
 * kernel_boot validates the whole manifest (manifest_check) before creating
 * anything, then creates every service in manifest order with exactly the
 * capabilities its grants name. The first service is init: when it ends, the
 * system ends, every other process is killed (releasing everything it held)
 * and kernel_shutdown can prove that the kernel's ledger balances.
 */
#include "boot.h"

#include "cap/console.h"
#include "cap/kcaps.h"
#include "kalloc.h"
#include "manifest.h"
#include "proc.h"
#include "sched.h"

/* The boot state. Owned by the kernel; set by kernel_boot, read everywhere. */
static struct {
	struct kernel_config config;
	uint32_t init_pid;
	bool ended;
	struct kernel_exit exit;
} boot;

const struct kernel_config *boot_config(void) { return &boot.config; }

struct kernel_exit kernel_exit_status(void) { return boot.exit; }

void boot_end(enum kernel_exit_kind kind, int code)
{
	if (!boot.ended) {
		boot.ended = true;
		boot.exit.kind = kind;
		boot.exit.code = code;
	}
	sched_end_system();
}

void kernel_process_ended(struct proc *p)
{
	if (p->pid != boot.init_pid || boot.ended)
		return;
	if (p->end == PROC_END_EXIT) {
		klog("init exited with code %d", p->exit_code);
		boot_end(KERNEL_EXIT_INIT, p->exit_code);
	} else {
		klog("init ended abnormally; halting");
		boot_end(KERNEL_EXIT_INIT_FAULT, 0);
	}
}

static const char *kernel_cap_name(unsigned k)
{
	const char *n = capos_KernelCap_name(k);
	return n ? n : "?";
}

/* Grant service `svc` the capabilities its manifest entry names. */
static int grant_caps(struct proc *p, capos_Service_r svc)
{
	capos_ServiceGrant_list_r caps = capos_Service_get_caps(svc);
	for (uint32_t i = 0; i < capos_ServiceGrant_list_len(caps); i++) {
		capos_ServiceGrant_r g = capos_ServiceGrant_list_get(caps, i);
		capn_text name = capos_ServiceGrant_get_name(g);
		capos_ServiceGrant_source_r src = capos_ServiceGrant_get_source(g);
		if (capos_ServiceGrant_source_which(src) != CAPOS_SERVICE_GRANT_SOURCE_WHICH_KERNEL) {
			klog("service '%s': cap '%.*s': service exports are not supported by this kernel yet",
			     p->name, (int)name.len, name.str);
			return KERR(UNIMPLEMENTED);
		}
		unsigned k = capos_ServiceGrant_source_get_kernel(src);
		struct kobj *obj = kcaps_get(k);
		if (!obj) {
			klog("service '%s': cap '%.*s': kernel capability %s is not provided by this kernel yet",
			     p->name, (int)name.len, name.str, kernel_cap_name(k));
			return KERR(UNIMPLEMENTED);
		}
		struct cap_hold_init init = {
			.badge = capos_ServiceGrant_get_badge(g),
			.iface = capos_ServiceGrant_get_interfaceId(g),
			.policy = (uint8_t)capos_ServiceGrant_get_policy(g),
			.scope = CAPOS_CAP_SCOPE_PROCESS,
		};
		int err = proc_grant(p, name.str, name.len, obj, &init, NULL);
		if (err) {
			kobj_unref(obj);
			klog("service '%s': cap '%.*s': cannot grant (%s)", p->name, (int)name.len, name.str,
			     capos_ErrorCode_name((unsigned)-err) ? capos_ErrorCode_name((unsigned)-err) : "?");
			return err;
		}
	}
	return 0;
}

static capn_data find_binary(capos_Manifest_r m, capn_text name)
{
	capos_Binary_list_r bins = capos_Manifest_get_binaries(m);
	for (uint32_t i = 0; i < capos_Binary_list_len(bins); i++) {
		capos_Binary_r b = capos_Binary_list_get(bins, i);
		if (manifest_text_eq(capos_Binary_get_name(b), name))
			return capos_Binary_get_image(b);
	}
	capn_data none = { NULL, 0 };
	return none; /* manifest_check makes this unreachable */
}

static int create_service(capos_Manifest_r m, capos_Service_r svc, struct proc **out)
{
	capn_text name = capos_Service_get_name(svc);
	capn_data image = find_binary(m, capos_Service_get_binary(svc));
	capos_Quota_r q = capos_Service_get_quota(svc);
	capn_list_r args = capos_Service_get_args(svc);
	const char *argv[MANIFEST_MAX_ARGS + 1];
	uint32_t argv_len[MANIFEST_MAX_ARGS + 1];
	uint32_t argc = capn_list_len(args) + 1;
	argv[0] = name.str; /* argv[0] is the service's name */
	argv_len[0] = name.len;
	for (uint32_t i = 1; i < argc; i++) {
		capn_text a = capn_list_get_text(args, i - 1);
		argv[i] = a.str;
		argv_len[i] = a.len;
	}
	struct proc_spec spec = {
		.name = name.str,
		.name_len = name.len,
		.elf = image.ptr,
		.elf_len = image.len,
		.quota = {
			.cap_slots = capos_Quota_get_capSlots(q),
			.outstanding_calls = capos_Quota_get_outstandingCalls(q),
			.memory_pages = capos_Quota_get_memoryPages(q),
			.children = capos_Quota_get_children(q),
		},
		.max_caps = capos_ServiceGrant_list_len(capos_Service_get_caps(svc)) +
		            capos_Export_list_len(capos_Service_get_exports(svc)),
		.argc = argc,
		.argv = argv,
		.argv_len = argv_len,
	};
	if (!image.ptr || capn_reader_error(svc.s.msg)) {
		klog("service '%.*s': cannot read its binary from the manifest (%s)", (int)name.len, name.str,
		     capn_strerror(capn_reader_error(svc.s.msg)));
		return KERR(BAD_MESSAGE);
	}
	int err = proc_create(&spec, out);
	if (err) {
		const char *why = capos_ErrorCode_name((unsigned)-err);
		klog("service '%.*s': cannot create the process (%s)", (int)name.len, name.str, why ? why : "?");
		return err;
	}
	return 0;
}

struct hal_ctx *kernel_boot(const void *manifest, size_t len, const struct kernel_config *config)
{
	static struct capn_reader msg; /* the manifest stays readable while the kernel runs */
	boot.config = *config;
	boot.ended = false;
	boot.init_pid = 0;
	boot.exit = (struct kernel_exit){ 0 };
	sched_init(config->time_slice_ns);
	console_reset();

	/* Traversal budget: the check reads the manifest a few times over, and
	 * boot reads a binary's image once for every service that runs it, so
	 * the bound is the manifest's size times (the service limit plus a few).
	 * The manifest's own size and limits are what bound the work. */
	struct capn_limits lim = { (uint64_t)(MANIFEST_MAX_SERVICES + 8) * (len / 8 + 64),
	                           CAPN_DEFAULT_NESTING_LIMIT };
	struct manifest_error merr;
	if (capn_reader_init_framed(&msg, manifest, len, &lim, NULL) != CAPN_OK) {
		klog("manifest rejected: %s", capn_strerror(capn_reader_error(&msg)));
		boot_end(KERNEL_EXIT_BAD_MANIFEST, 0);
		return NULL;
	}
	if (manifest_check(&msg, &merr) != MANIFEST_OK) {
		klog("manifest rejected: %s", merr.msg);
		boot_end(KERNEL_EXIT_BAD_MANIFEST, 0);
		return NULL;
	}

	capos_Manifest_r m = capos_Manifest_read_root(&msg);
	capos_Service_list_r services = capos_Manifest_get_services(m);
	for (uint32_t i = 0; i < capos_Service_list_len(services); i++) {
		capos_Service_r svc = capos_Service_list_get(services, i);
		struct proc *p;
		int err = create_service(m, svc, &p);
		if (!err && (err = grant_caps(p, svc)))
			proc_kill(p);
		if (err) {
			boot_end(i == 0 ? KERNEL_EXIT_NO_MEMORY : KERNEL_EXIT_BAD_MANIFEST, 0);
			return sched_next();
		}
		if (i == 0)
			boot.init_pid = p->pid;
		proc_start(p);
	}
	return sched_next();
}

size_t kernel_shutdown(void)
{
	/* Normally sched_next has already killed everyone. */
	while (!list_empty(&proc_all))
		proc_kill(list_entry(proc_all.next, struct proc, all_link));
	if (boot.config.check_ledger && !kcaps_all_released())
		klog("ledger: a kernel capability is still referenced after every process ended");
	size_t live = kalloc_live_count();
	if (boot.config.check_ledger && live)
		klog("ledger: %zu kernel allocations (%zu bytes) not returned", live, kalloc_live_bytes());
	kalloc_trim();
	return live;
}
