/*
 * boot.c - from manifest.bin to running processes, and back to nothing.
 *
 * kernel_boot validates the whole manifest (manifest_check) before creating
 * anything. It then makes an endpoint for every export of every service,
 * and starts the services marked `atBoot`, in manifest order, each with
 * exactly the capabilities its grants name: kernel capabilities, client
 * holds on other services' exports (with the grant's badge), and the server
 * side of its own exports under their names. Services marked `byInit` wait
 * for init's ProcessSpawner.startService. The first service is init: when it
 * ends, the system ends, every other process is killed (releasing
 * everything it held) and kernel_shutdown can prove that the kernel's ledger
 * balances.
 */
#include "boot.h"

#include "cap/console.h"
#include "cap/endpoint.h"
#include "cap/kcaps.h"
#include "kalloc.h"
#include "manifest.h"
#include "proc.h"
#include "sched.h"

/* The manifest's checks promise what process creation needs. */
_Static_assert(MANIFEST_MAX_CAP_SLOTS == CAP_TABLE_MAX, "manifest and cap table limits");
_Static_assert(MANIFEST_MAX_OUTSTANDING_CALLS == PROC_MAX_OUTSTANDING_CALLS, "manifest and proc limits");

/* An export's endpoint until its service starts: the kernel keeps a
 * reference to the client side (for grants) and holds the server side for
 * the service (handed over when it starts). */
struct boot_export {
	struct kobj *server;
	struct kobj *client;
};

struct boot_service {
	capos_Service_r svc;
	bool started;
	uint32_t nexports;
	struct boot_export *exports;
};

/* The boot state. Owned by the kernel; set by kernel_boot, read everywhere. */
static struct {
	struct kernel_config config;
	struct capn_reader msg;   /* the manifest; its bytes outlive the kernel run */
	uint64_t read_budget;     /* traversal words allowed per lookup after boot */
	capos_Manifest_r manifest;
	struct boot_service *services;
	uint32_t nservices;
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

static const char *error_name(int err)
{
	const char *n = capos_ErrorCode_name((unsigned)-err);
	return n ? n : "?";
}

/* ------------------------------------------------------------ lookups */

/* Every lookup after boot (spawn, startService, services) reads a manifest
 * manifest_check has already proved sound; what bounds its work is the
 * manifest's size, so each lookup gets a fresh budget of that size instead
 * of drawing on one that would run out after enough spawns. */
static void refill_budget(void)
{
	if (capn_reader_error(&boot.msg) == CAPN_OK)
		boot.msg.traversal_left = boot.read_budget;
}

static struct boot_service *find_service(capn_text name)
{
	for (uint32_t i = 0; i < boot.nservices; i++)
		if (manifest_text_eq(capos_Service_get_name(boot.services[i].svc), name))
			return &boot.services[i];
	return NULL;
}

static struct boot_export *find_export(capn_text service, capn_text export)
{
	struct boot_service *bs = find_service(service);
	capos_Export_list_r exports = bs ? capos_Service_get_exports(bs->svc) : (capos_Export_list_r){ 0 };
	for (uint32_t i = 0; bs && i < bs->nexports; i++)
		if (manifest_text_eq(capos_Export_get_name(capos_Export_list_get(exports, i)), export))
			return &bs->exports[i];
	return NULL; /* manifest_check makes this unreachable */
}

capn_data boot_binary(capn_text name)
{
	refill_budget();
	capos_Binary_list_r bins = capos_Manifest_get_binaries(boot.manifest);
	for (uint32_t i = 0; i < capos_Binary_list_len(bins); i++) {
		capos_Binary_r b = capos_Binary_list_get(bins, i);
		if (manifest_text_eq(capos_Binary_get_name(b), name))
			return capos_Binary_get_image(b);
	}
	capn_data none = { NULL, 0 };
	return none;
}

uint32_t boot_deferred_count(void)
{
	refill_budget();
	uint32_t n = 0;
	for (uint32_t i = 0; i < boot.nservices; i++)
		n += capos_Service_get_start(boot.services[i].svc) == CAPOS_START_MODE_BY_INIT;
	return n;
}

capn_text boot_deferred_name(uint32_t k)
{
	refill_budget();
	for (uint32_t i = 0; i < boot.nservices; i++)
		if (capos_Service_get_start(boot.services[i].svc) == CAPOS_START_MODE_BY_INIT && k-- == 0)
			return capos_Service_get_name(boot.services[i].svc);
	capn_text none = { "", 0 };
	return none;
}

/* ------------------------------------------------------------ starting services */

/* Make the endpoint behind every export of every service. */
static int create_exports(void)
{
	for (uint32_t i = 0; i < boot.nservices; i++) {
		struct boot_service *bs = &boot.services[i];
		capos_Export_list_r exports = capos_Service_get_exports(bs->svc);
		bs->nexports = capos_Export_list_len(exports);
		if (!bs->nexports)
			continue;
		bs->exports = kzalloc(sizeof(*bs->exports) * bs->nexports);
		if (!bs->exports) {
			bs->nexports = 0; /* release_services walks exports by this count */
			return KERR(RESOURCE_EXHAUSTED);
		}
		for (uint32_t j = 0; j < bs->nexports; j++) {
			uint64_t iface = capos_Export_get_interfaceId(capos_Export_list_get(exports, j));
			int err = endpoint_create(iface, &bs->exports[j].server, &bs->exports[j].client);
			if (err)
				return err;
		}
	}
	return 0;
}

static int grant_one(struct proc *p, capos_ServiceGrant_r g)
{
	capn_text name = capos_ServiceGrant_get_name(g);
	capos_ServiceGrant_source_r src = capos_ServiceGrant_get_source(g);
	struct kobj *obj;
	if (capos_ServiceGrant_source_which(src) == CAPOS_SERVICE_GRANT_SOURCE_WHICH_KERNEL) {
		unsigned k = capos_ServiceGrant_source_get_kernel(src);
		if (!(obj = kcaps_get(k))) {
			const char *kn = capos_KernelCap_name(k);
			klog("service '%s': cap '%.*s': kernel capability %s is not provided by this kernel", p->name,
			     (int)name.len, name.str, kn ? kn : "?");
			return KERR(UNIMPLEMENTED);
		}
	} else {
		capos_ServiceExport_r se = capos_ServiceGrant_source_get_service(src);
		struct boot_export *ex = find_export(capos_ServiceExport_get_service(se),
		                                     capos_ServiceExport_get_export(se));
		KASSERT(ex && ex->client);
		obj = kobj_ref(ex->client);
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
		klog("service '%s': cap '%.*s': cannot grant (%s)", p->name, (int)name.len, name.str, error_name(err));
	}
	return err;
}

/* Give the service its grants, then the server side of its exports. */
static int grant_caps(struct proc *p, struct boot_service *bs)
{
	capos_ServiceGrant_list_r caps = capos_Service_get_caps(bs->svc);
	for (uint32_t i = 0; i < capos_ServiceGrant_list_len(caps); i++) {
		int err = grant_one(p, capos_ServiceGrant_list_get(caps, i));
		if (err)
			return err;
	}
	capos_Export_list_r exports = capos_Service_get_exports(bs->svc);
	for (uint32_t j = 0; j < bs->nexports; j++) {
		capn_text name = capos_Export_get_name(capos_Export_list_get(exports, j));
		struct cap_hold_init init = { .iface = CAPOS_ENDPOINT_INTERFACE_ID,
		                              .policy = CAPOS_HOLD_POLICY_TRANSFERABLE };
		int err = proc_grant(p, name.str, name.len, bs->exports[j].server, &init, NULL);
		if (err)
			return err;
		bs->exports[j].server = NULL; /* the service's hold has the reference now */
	}
	return 0;
}

static int create_process(struct boot_service *bs, struct proc **out)
{
	capn_text name = capos_Service_get_name(bs->svc);
	capn_data image = boot_binary(capos_Service_get_binary(bs->svc));
	capos_Quota_r q = capos_Service_get_quota(bs->svc);
	capn_list_r args = capos_Service_get_args(bs->svc);
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
	uint32_t ncaps = capos_ServiceGrant_list_len(capos_Service_get_caps(bs->svc)) + bs->nexports;
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
		.max_caps = ncaps,
		.argc = argc,
		.argv = argv,
		.argv_len = argv_len,
	};
	if (!image.ptr || capn_reader_error(&boot.msg)) {
		klog("service '%.*s': cannot read its binary from the manifest (%s)", (int)name.len, name.str,
		     capn_strerror(capn_reader_error(&boot.msg)));
		return KERR(BAD_MESSAGE);
	}
	if (spec.quota.cap_slots && spec.quota.cap_slots < ncaps) {
		klog("service '%.*s': quota capSlots %u is smaller than its %u caps", (int)name.len, name.str,
		     spec.quota.cap_slots, ncaps);
		return KERR(RESOURCE_EXHAUSTED);
	}
	int err = proc_create(&spec, out);
	if (err)
		klog("service '%.*s': cannot create the process (%s)", (int)name.len, name.str, error_name(err));
	return err;
}

static int start(struct boot_service *bs, struct proc **out)
{
	struct proc *p;
	int err = create_process(bs, &p);
	if (err)
		return err;
	bs->started = true;
	if ((err = grant_caps(p, bs))) {
		proc_kill(p);
		return err;
	}
	proc_start(p);
	*out = p;
	return 0;
}

int boot_start_service(capn_text name, struct proc **out)
{
	refill_budget();
	struct boot_service *bs = find_service(name);
	if (!bs || capos_Service_get_start(bs->svc) != CAPOS_START_MODE_BY_INIT)
		return KERR(NOT_FOUND);
	if (bs->started)
		return KERR(ALREADY_EXISTS);
	return start(bs, out);
}

/* ------------------------------------------------------------ boot and shutdown */

static struct hal_ctx *refuse(const char *why)
{
	klog("manifest rejected: %s", why);
	boot_end(KERNEL_EXIT_BAD_MANIFEST, 0);
	return NULL;
}

struct hal_ctx *kernel_boot(const void *manifest, size_t len, const struct kernel_config *config)
{
	boot.config = *config;
	boot.ended = false;
	boot.init_pid = 0;
	boot.exit = (struct kernel_exit){ 0 };
	boot.services = NULL;
	boot.nservices = 0;
	sched_init(config->time_slice_ns);
	console_reset();

	/* Traversal budget: the check reads the manifest a few times over, and
	 * starting services reads a binary's image once for every service that
	 * runs it, so the bound is the manifest's size times (the service limit
	 * plus a few). The manifest's own size and limits bound the work. */
	struct capn_limits lim = { (uint64_t)(MANIFEST_MAX_SERVICES + 8) * (len / 8 + 64),
	                           CAPN_DEFAULT_NESTING_LIMIT };
	struct manifest_error merr;
	boot.read_budget = lim.traversal_words;
	if (capn_reader_init_framed(&boot.msg, manifest, len, &lim, NULL) != CAPN_OK)
		return refuse(capn_strerror(capn_reader_error(&boot.msg)));
	if (manifest_check(&boot.msg, &merr) != MANIFEST_OK)
		return refuse(merr.msg);

	boot.manifest = capos_Manifest_read_root(&boot.msg);
	capos_Service_list_r services = capos_Manifest_get_services(boot.manifest);
	boot.nservices = capos_Service_list_len(services);
	boot.services = kzalloc(sizeof(*boot.services) * boot.nservices);
	if (!boot.services)
		boot.nservices = 0; /* release_services walks services by this count */
	for (uint32_t i = 0; boot.services && i < boot.nservices; i++)
		boot.services[i].svc = capos_Service_list_get(services, i);
	if (!boot.services || create_exports()) {
		klog("out of memory for the manifest's services");
		boot_end(KERNEL_EXIT_NO_MEMORY, 0);
		return sched_next();
	}

	for (uint32_t i = 0; i < boot.nservices; i++) {
		struct boot_service *bs = &boot.services[i];
		/* init itself always starts at boot. */
		if (i > 0 && capos_Service_get_start(bs->svc) == CAPOS_START_MODE_BY_INIT)
			continue;
		struct proc *p;
		int err = start(bs, &p);
		if (err) {
			boot_end(i == 0 ? KERNEL_EXIT_NO_MEMORY : KERNEL_EXIT_BAD_MANIFEST, 0);
			return sched_next();
		}
		if (i == 0)
			boot.init_pid = p->pid;
	}
	return sched_next();
}

/* Drop the kernel's own references to the manifest's endpoints. */
static void release_services(void)
{
	for (uint32_t i = 0; i < boot.nservices; i++) {
		struct boot_service *bs = &boot.services[i];
		for (uint32_t j = 0; j < bs->nexports; j++) {
			if (bs->exports[j].server)
				kobj_unref(bs->exports[j].server);
			if (bs->exports[j].client)
				kobj_unref(bs->exports[j].client);
		}
		kfree(bs->exports, sizeof(*bs->exports) * bs->nexports);
	}
	kfree(boot.services, sizeof(*boot.services) * boot.nservices);
	boot.services = NULL;
	boot.nservices = 0;
}

size_t kernel_shutdown(void)
{
	/* Normally sched_next has already killed everyone. */
	while (!list_empty(&proc_all))
		proc_kill(list_entry(proc_all.next, struct proc, all_link));
	release_services();
	if (boot.config.check_ledger && !kcaps_all_released())
		klog("ledger: a kernel capability is still referenced after every process ended");
	size_t live = kalloc_live_count();
	if (boot.config.check_ledger && live)
		klog("ledger: %zu kernel allocations (%zu bytes) not returned", live, kalloc_live_bytes());
	kalloc_trim();
	return live;
}
