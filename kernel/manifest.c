/*
 * manifest.c - manifest_check: everything the kernel relies on before it
 * boots a manifest (see manifest.h). Checks run in a fixed order and stop at
 * the first problem, so the same bad file always gets the same message.
 */
#include "manifest.h"

#include "elf.h"
#include "fmt.h"

/* Which interface each kernel capability implements; indexed by KernelCap. */
static const uint64_t kernel_cap_iface[] = {
	[CAPOS_KERNEL_CAP_CONSOLE] = CAPOS_CONSOLE_INTERFACE_ID,
	[CAPOS_KERNEL_CAP_TIMER] = CAPOS_TIMER_INTERFACE_ID,
	[CAPOS_KERNEL_CAP_NULL] = CAPOS_NULL_CAP_INTERFACE_ID,
	[CAPOS_KERNEL_CAP_PROCESS_SPAWNER] = CAPOS_PROCESS_SPAWNER_INTERFACE_ID,
	[CAPOS_KERNEL_CAP_VIRTUAL_MEMORY] = CAPOS_VIRTUAL_MEMORY_INTERFACE_ID,
	[CAPOS_KERNEL_CAP_FRAME_ALLOCATOR] = CAPOS_FRAME_ALLOCATOR_INTERFACE_ID,
	[CAPOS_KERNEL_CAP_ENDPOINT_FACTORY] = CAPOS_ENDPOINT_FACTORY_INTERFACE_ID,
};

uint64_t manifest_kernel_cap_interface(unsigned kernel_cap)
{
	if (kernel_cap >= sizeof(kernel_cap_iface) / sizeof(kernel_cap_iface[0]))
		return 0;
	return kernel_cap_iface[kernel_cap];
}

int manifest_text_eq(capn_text a, capn_text b)
{
	return a.len == b.len && __builtin_memcmp(a.str, b.str, a.len) == 0;
}

int manifest_check_name(capn_text name)
{
	if (name.len == 0 || name.len > MANIFEST_MAX_NAME)
		return MANIFEST_ERR_BAD_NAME;
	for (uint32_t i = 0; i < name.len; i++) {
		char c = name.str[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		          c == '.' || c == '_' || c == '-';
		if (!ok)
			return MANIFEST_ERR_BAD_NAME;
	}
	return MANIFEST_OK;
}

/* An absolute, normalised path: "/a/b", no empty, "." or ".." components,
 * no trailing slash, printable ASCII only. */
int manifest_check_path(capn_text path)
{
	if (path.len < 2 || path.len > MANIFEST_MAX_PATH || path.str[0] != '/' ||
	    path.str[path.len - 1] == '/')
		return MANIFEST_ERR_BAD_PATH;
	uint32_t start = 1;
	for (uint32_t i = 1; i <= path.len; i++) {
		if (i < path.len) {
			char c = path.str[i];
			if (c < 0x21 || c > 0x7e)
				return MANIFEST_ERR_BAD_PATH;
			if (c != '/')
				continue;
		}
		uint32_t n = i - start;
		const char *comp = path.str + start;
		if (n == 0 || (n == 1 && comp[0] == '.') || (n == 2 && comp[0] == '.' && comp[1] == '.'))
			return MANIFEST_ERR_BAD_PATH;
		start = i + 1;
	}
	return MANIFEST_OK;
}

static int fail(struct manifest_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct manifest_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fmt_vstr(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->code = code;
	return code;
}

/* Names in messages are bounded so one line stays one line. */
#define NAME_FMT "'%.*s'"
#define NAME_ARG(t) (int)((t).len > MANIFEST_MAX_NAME ? MANIFEST_MAX_NAME : (t).len), (t).str

static int check_binaries(capos_Binary_list_r bins, struct manifest_error *err)
{
	uint32_t n = capos_Binary_list_len(bins);
	if (n > MANIFEST_MAX_BINARIES)
		return fail(err, MANIFEST_ERR_TOO_MANY, "%u binaries (limit %u)", n, MANIFEST_MAX_BINARIES);
	for (uint32_t i = 0; i < n; i++) {
		capos_Binary_r b = capos_Binary_list_get(bins, i);
		capn_text name = capos_Binary_get_name(b);
		if (manifest_check_name(name))
			return fail(err, MANIFEST_ERR_BAD_NAME, "binary " NAME_FMT ": bad name", NAME_ARG(name));
		for (uint32_t j = 0; j < i; j++)
			if (manifest_text_eq(name, capos_Binary_get_name(capos_Binary_list_get(bins, j))))
				return fail(err, MANIFEST_ERR_DUPLICATE, "binary " NAME_FMT ": defined twice",
				            NAME_ARG(name));
		if (capos_Binary_which(b) != CAPOS_BINARY_WHICH_IMAGE)
			return fail(err, MANIFEST_ERR_NOT_EMBEDDED,
			            "binary " NAME_FMT ": not embedded (source form; run mkmanifest)",
			            NAME_ARG(name));
		capn_data image = capos_Binary_get_image(b);
		if (image.len > MANIFEST_MAX_BINARY_BYTES)
			return fail(err, MANIFEST_ERR_TOO_LARGE, "binary " NAME_FMT ": %u bytes (limit %u)",
			            NAME_ARG(name), image.len, MANIFEST_MAX_BINARY_BYTES);
		struct elf_image elf;
		int e = elf_parse(image.ptr, image.len, &elf);
		if (e)
			return fail(err, MANIFEST_ERR_BAD_ELF,
			            "binary " NAME_FMT ": not a static-PIE x86_64 ELF: %s", NAME_ARG(name),
			            elf_strerror(e));
	}
	return MANIFEST_OK;
}

static int find_service(capos_Service_list_r services, capn_text name, capos_Service_r *out)
{
	for (uint32_t i = 0; i < capos_Service_list_len(services); i++) {
		capos_Service_r s = capos_Service_list_get(services, i);
		if (manifest_text_eq(capos_Service_get_name(s), name)) {
			*out = s;
			return 1;
		}
	}
	return 0;
}

static int check_exports(capos_Service_r svc, capn_text sname, struct manifest_error *err)
{
	capos_Export_list_r exports = capos_Service_get_exports(svc);
	for (uint32_t i = 0; i < capos_Export_list_len(exports); i++) {
		capos_Export_r ex = capos_Export_list_get(exports, i);
		capn_text name = capos_Export_get_name(ex);
		if (manifest_check_name(name))
			return fail(err, MANIFEST_ERR_BAD_NAME, "service " NAME_FMT ": export " NAME_FMT
			            ": bad name", NAME_ARG(sname), NAME_ARG(name));
		for (uint32_t j = 0; j < i; j++)
			if (manifest_text_eq(name, capos_Export_get_name(capos_Export_list_get(exports, j))))
				return fail(err, MANIFEST_ERR_DUPLICATE, "service " NAME_FMT ": export " NAME_FMT
				            ": declared twice", NAME_ARG(sname), NAME_ARG(name));
		uint64_t id = capos_Export_get_interfaceId(ex);
		if (!capos_interface_by_id(id))
			return fail(err, MANIFEST_ERR_UNKNOWN_INTERFACE, "service " NAME_FMT ": export " NAME_FMT
			            ": unknown interface id 0x%016llx", NAME_ARG(sname), NAME_ARG(name),
			            (unsigned long long)id);
	}
	return MANIFEST_OK;
}

/* The interface a grant's source provides, or 0 with err filled in. */
static uint64_t grant_source_iface(capos_Service_list_r services, capos_ServiceGrant_r g,
                                   capn_text sname, capn_text gname, struct manifest_error *err)
{
	capos_ServiceGrant_source_r src = capos_ServiceGrant_get_source(g);
	if (capos_ServiceGrant_source_which(src) == CAPOS_SERVICE_GRANT_SOURCE_WHICH_KERNEL) {
		unsigned kc = capos_ServiceGrant_source_get_kernel(src);
		uint64_t id = manifest_kernel_cap_interface(kc);
		if (!id)
			fail(err, MANIFEST_ERR_UNKNOWN_SOURCE, "service " NAME_FMT ": cap " NAME_FMT
			     ": unknown kernel capability %u", NAME_ARG(sname), NAME_ARG(gname), kc);
		return id;
	}
	if (capos_ServiceGrant_source_which(src) != CAPOS_SERVICE_GRANT_SOURCE_WHICH_SERVICE) {
		fail(err, MANIFEST_ERR_UNKNOWN_SOURCE, "service " NAME_FMT ": cap " NAME_FMT
		     ": unknown source kind %u", NAME_ARG(sname), NAME_ARG(gname),
		     (unsigned)capos_ServiceGrant_source_which(src));
		return 0;
	}
	capos_ServiceExport_r se = capos_ServiceGrant_source_get_service(src);
	capn_text from = capos_ServiceExport_get_service(se);
	capn_text export_name = capos_ServiceExport_get_export(se);
	capos_Service_r provider;
	if (!find_service(services, from, &provider)) {
		fail(err, MANIFEST_ERR_UNKNOWN_SOURCE, "service " NAME_FMT ": cap " NAME_FMT
		     ": unknown source service " NAME_FMT, NAME_ARG(sname), NAME_ARG(gname), NAME_ARG(from));
		return 0;
	}
	capos_Export_list_r exports = capos_Service_get_exports(provider);
	for (uint32_t i = 0; i < capos_Export_list_len(exports); i++) {
		capos_Export_r ex = capos_Export_list_get(exports, i);
		if (manifest_text_eq(capos_Export_get_name(ex), export_name))
			return capos_Export_get_interfaceId(ex);
	}
	fail(err, MANIFEST_ERR_UNKNOWN_SOURCE, "service " NAME_FMT ": cap " NAME_FMT
	     ": service " NAME_FMT " exports no " NAME_FMT, NAME_ARG(sname), NAME_ARG(gname),
	     NAME_ARG(from), NAME_ARG(export_name));
	return 0;
}

static int check_grants(capos_Service_list_r services, capos_Service_r svc, capn_text sname,
                        struct manifest_error *err)
{
	capos_ServiceGrant_list_r caps = capos_Service_get_caps(svc);
	capos_Export_list_r exports = capos_Service_get_exports(svc);
	uint32_t n = capos_ServiceGrant_list_len(caps);
	if ((uint64_t)n + capos_Export_list_len(exports) > MANIFEST_MAX_GRANTS)
		return fail(err, MANIFEST_ERR_TOO_MANY, "service " NAME_FMT ": more than %u caps and exports",
		            NAME_ARG(sname), MANIFEST_MAX_GRANTS);
	for (uint32_t i = 0; i < n; i++) {
		capos_ServiceGrant_r g = capos_ServiceGrant_list_get(caps, i);
		capn_text gname = capos_ServiceGrant_get_name(g);
		if (manifest_check_name(gname))
			return fail(err, MANIFEST_ERR_BAD_NAME, "service " NAME_FMT ": cap " NAME_FMT
			            ": bad name", NAME_ARG(sname), NAME_ARG(gname));
		/* Caps and exports share the service's CapSet namespace. */
		for (uint32_t j = 0; j < i; j++)
			if (manifest_text_eq(gname, capos_ServiceGrant_get_name(capos_ServiceGrant_list_get(caps, j))))
				return fail(err, MANIFEST_ERR_DUPLICATE, "service " NAME_FMT ": cap " NAME_FMT
				            ": granted twice", NAME_ARG(sname), NAME_ARG(gname));
		for (uint32_t j = 0; j < capos_Export_list_len(exports); j++)
			if (manifest_text_eq(gname, capos_Export_get_name(capos_Export_list_get(exports, j))))
				return fail(err, MANIFEST_ERR_DUPLICATE, "service " NAME_FMT ": cap " NAME_FMT
				            ": also the name of an export", NAME_ARG(sname), NAME_ARG(gname));
		uint64_t want = capos_ServiceGrant_get_interfaceId(g);
		if (!capos_interface_by_id(want))
			return fail(err, MANIFEST_ERR_UNKNOWN_INTERFACE, "service " NAME_FMT ": cap " NAME_FMT
			            ": unknown interface id 0x%016llx", NAME_ARG(sname), NAME_ARG(gname),
			            (unsigned long long)want);
		if (capos_ServiceGrant_get_policy(g) > CAPOS_HOLD_POLICY_NON_TRANSFERABLE)
			return fail(err, MANIFEST_ERR_MALFORMED, "service " NAME_FMT ": cap " NAME_FMT
			            ": unknown hold policy", NAME_ARG(sname), NAME_ARG(gname));
		uint64_t have = grant_source_iface(services, g, sname, gname, err);
		if (!have)
			return err->code;
		if (have != want) {
			const struct capn_interface_info *hi = capos_interface_by_id(have);
			const struct capn_interface_info *wi = capos_interface_by_id(want);
			return fail(err, MANIFEST_ERR_INTERFACE_MISMATCH, "service " NAME_FMT ": cap " NAME_FMT
			            ": granted as %s but its source provides %s", NAME_ARG(sname),
			            NAME_ARG(gname), wi->name, hi ? hi->name : "an unknown interface");
		}
	}
	return MANIFEST_OK;
}

static int check_services(capos_Service_list_r services, capos_Binary_list_r bins,
                          struct manifest_error *err)
{
	uint32_t n = capos_Service_list_len(services);
	if (n == 0)
		return fail(err, MANIFEST_ERR_NO_SERVICES, "no services (the first one is init)");
	if (n > MANIFEST_MAX_SERVICES)
		return fail(err, MANIFEST_ERR_TOO_MANY, "%u services (limit %u)", n, MANIFEST_MAX_SERVICES);
	for (uint32_t i = 0; i < n; i++) {
		capos_Service_r s = capos_Service_list_get(services, i);
		capn_text name = capos_Service_get_name(s);
		if (manifest_check_name(name))
			return fail(err, MANIFEST_ERR_BAD_NAME, "service " NAME_FMT ": bad name (1-%u of A-Z a-z 0-9 . _ -)",
			            NAME_ARG(name), MANIFEST_MAX_NAME);
		for (uint32_t j = 0; j < i; j++)
			if (manifest_text_eq(name, capos_Service_get_name(capos_Service_list_get(services, j))))
				return fail(err, MANIFEST_ERR_DUPLICATE, "service " NAME_FMT ": defined twice",
				            NAME_ARG(name));
		capn_text bin = capos_Service_get_binary(s);
		bool found = false;
		for (uint32_t j = 0; j < capos_Binary_list_len(bins) && !found; j++)
			found = manifest_text_eq(bin, capos_Binary_get_name(capos_Binary_list_get(bins, j)));
		if (!found)
			return fail(err, MANIFEST_ERR_UNKNOWN_BINARY, "service " NAME_FMT ": unknown binary " NAME_FMT,
			            NAME_ARG(name), NAME_ARG(bin));
		if (capn_list_len(capos_Service_get_args(s)) > MANIFEST_MAX_ARGS)
			return fail(err, MANIFEST_ERR_TOO_MANY, "service " NAME_FMT ": more than %u args",
			            NAME_ARG(name), MANIFEST_MAX_ARGS);
		capos_Quota_r q = capos_Service_get_quota(s);
		if (capos_Quota_get_capSlots(q) > MANIFEST_MAX_CAP_SLOTS)
			return fail(err, MANIFEST_ERR_TOO_MANY, "service " NAME_FMT ": quota capSlots %u (limit %u)",
			            NAME_ARG(name), capos_Quota_get_capSlots(q), MANIFEST_MAX_CAP_SLOTS);
		if (capos_Quota_get_outstandingCalls(q) > MANIFEST_MAX_OUTSTANDING_CALLS)
			return fail(err, MANIFEST_ERR_TOO_MANY, "service " NAME_FMT ": quota outstandingCalls %u (limit %u)",
			            NAME_ARG(name), capos_Quota_get_outstandingCalls(q), MANIFEST_MAX_OUTSTANDING_CALLS);
		int e = check_exports(s, name, err);
		if (e)
			return e;
	}
	/* Grants refer to other services' exports, so check them once all
	 * services and exports are known to be sound. */
	for (uint32_t i = 0; i < n; i++) {
		capos_Service_r s = capos_Service_list_get(services, i);
		int e = check_grants(services, s, capos_Service_get_name(s), err);
		if (e)
			return e;
	}
	return MANIFEST_OK;
}

static int check_files(capos_File_list_r files, struct manifest_error *err)
{
	uint32_t n = capos_File_list_len(files);
	if (n > MANIFEST_MAX_FILES)
		return fail(err, MANIFEST_ERR_TOO_MANY, "%u files (limit %u)", n, MANIFEST_MAX_FILES);
	for (uint32_t i = 0; i < n; i++) {
		capos_File_r f = capos_File_list_get(files, i);
		capn_text path = capos_File_get_path(f);
		int plen = (int)(path.len > MANIFEST_MAX_PATH ? MANIFEST_MAX_PATH : path.len);
		if (manifest_check_path(path))
			return fail(err, MANIFEST_ERR_BAD_PATH, "file '%.*s': not an absolute, normalised path",
			            plen, path.str);
		for (uint32_t j = 0; j < i; j++)
			if (manifest_text_eq(path, capos_File_get_path(capos_File_list_get(files, j))))
				return fail(err, MANIFEST_ERR_DUPLICATE, "file '%.*s': listed twice", plen, path.str);
		if (capos_File_which(f) != CAPOS_FILE_WHICH_DATA)
			return fail(err, MANIFEST_ERR_NOT_EMBEDDED, "file '%.*s': not embedded (source form)",
			            plen, path.str);
		capn_data d = capos_File_get_data(f);
		if (d.len > MANIFEST_MAX_FILE_BYTES)
			return fail(err, MANIFEST_ERR_TOO_LARGE, "file '%.*s': %u bytes (limit %u)", plen,
			            path.str, d.len, MANIFEST_MAX_FILE_BYTES);
	}
	return MANIFEST_OK;
}

int manifest_check(struct capn_reader *msg, struct manifest_error *err)
{
	err->code = MANIFEST_OK;
	err->msg[0] = '\0';
	if (capn_reader_error(msg))
		return fail(err, MANIFEST_ERR_MALFORMED, "malformed message: %s",
		            capn_strerror(capn_reader_error(msg)));
	capos_Manifest_r m = capos_Manifest_read_root(msg);
	uint32_t version = capos_Manifest_get_version(m);
	capos_Service_list_r services = capos_Manifest_get_services(m);
	capos_Binary_list_r bins = capos_Manifest_get_binaries(m);
	capos_File_list_r files = capos_Manifest_get_files(m);
	if (capn_reader_error(msg))
		return fail(err, MANIFEST_ERR_MALFORMED, "malformed message: %s",
		            capn_strerror(capn_reader_error(msg)));
	if (version != MANIFEST_VERSION)
		return fail(err, MANIFEST_ERR_VERSION, "version %u (this kernel reads version %u)", version,
		            MANIFEST_VERSION);
	int e = check_binaries(bins, err);
	if (!e)
		e = check_services(services, bins, err);
	if (!e)
		e = check_files(files, err);
	/* A malformed pointer met deep inside reads as a default; refuse the
	 * whole manifest rather than boot half of what it says. */
	if (!e && capn_reader_error(msg))
		return fail(err, MANIFEST_ERR_MALFORMED, "malformed message: %s",
		            capn_strerror(capn_reader_error(msg)));
	return e;
}
