/*
 * print.c - `mkmanifest --print`: check a manifest.bin as the kernel does and
 * show it in readable form (binaries and files as sizes, not bytes).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "elf.h"
#include "manifest.h"
#include "mkmanifest.h"

#define T(t) (int)(t).len, (t).str

static const char *iface_name(uint64_t id)
{
	const struct capn_interface_info *info = capos_interface_by_id(id);
	return info ? info->name : "?";
}

static void print_grant(capos_ServiceGrant_r g)
{
	capn_text name = capos_ServiceGrant_get_name(g);
	capos_ServiceGrant_source_r src = capos_ServiceGrant_get_source(g);
	printf("  cap %-16.*s %-16s <- ", T(name), iface_name(capos_ServiceGrant_get_interfaceId(g)));
	if (capos_ServiceGrant_source_which(src) == CAPOS_SERVICE_GRANT_SOURCE_WHICH_KERNEL) {
		const char *k = capos_KernelCap_name(capos_ServiceGrant_source_get_kernel(src));
		printf("kernel %s", k ? k : "?");
	} else {
		capos_ServiceExport_r se = capos_ServiceGrant_source_get_service(src);
		capn_text s = capos_ServiceExport_get_service(se), e = capos_ServiceExport_get_export(se);
		printf("service %.*s.%.*s", T(s), T(e));
	}
	if (capos_ServiceGrant_get_badge(g))
		printf("  badge %llu", (unsigned long long)capos_ServiceGrant_get_badge(g));
	if (capos_ServiceGrant_get_policy(g) != CAPOS_HOLD_POLICY_TRANSFERABLE) {
		const char *p = capos_HoldPolicy_name(capos_ServiceGrant_get_policy(g));
		printf("  %s", p ? p : "?");
	}
	putchar('\n');
}

static void print_service(capos_Service_r s)
{
	capn_text name = capos_Service_get_name(s), bin = capos_Service_get_binary(s);
	printf("service %.*s (binary %.*s)%s\n", T(name), T(bin),
	       capos_Service_get_start(s) == CAPOS_START_MODE_BY_INIT ? ", started by init" : "");
	capos_ServiceGrant_list_r caps = capos_Service_get_caps(s);
	for (uint32_t j = 0; j < capos_ServiceGrant_list_len(caps); j++)
		print_grant(capos_ServiceGrant_list_get(caps, j));
	capos_Export_list_r exports = capos_Service_get_exports(s);
	for (uint32_t j = 0; j < capos_Export_list_len(exports); j++) {
		capos_Export_r ex = capos_Export_list_get(exports, j);
		capn_text en = capos_Export_get_name(ex);
		printf("  export %-13.*s %s\n", T(en), iface_name(capos_Export_get_interfaceId(ex)));
	}
	capn_list_r args = capos_Service_get_args(s);
	if (capn_list_len(args)) {
		printf("  args");
		for (uint32_t j = 0; j < capn_list_len(args); j++) {
			capn_text a = capn_list_get_text(args, j);
			printf(" \"%.*s\"", T(a));
		}
		putchar('\n');
	}
	capos_Quota_r q = capos_Service_get_quota(s);
	if (capos_Quota_get_capSlots(q) || capos_Quota_get_outstandingCalls(q) ||
	    capos_Quota_get_memoryPages(q) || capos_Quota_get_children(q))
		printf("  quota capSlots=%u outstandingCalls=%u memoryPages=%u children=%u\n",
		       capos_Quota_get_capSlots(q), capos_Quota_get_outstandingCalls(q),
		       capos_Quota_get_memoryPages(q), capos_Quota_get_children(q));
}

int print_manifest(const char *path)
{
	struct bytes bin;
	int e = read_file(path, MANIFEST_MAX_TOTAL_BYTES, &bin);
	if (e) {
		report(path, "%s", e == EFBIG ? "larger than the manifest size limit" : strerror(e));
		return -1;
	}
	struct capn_reader r;
	struct capn_limits lim = { (uint64_t)bin.len + (1u << 20), CAPN_DEFAULT_NESTING_LIMIT };
	struct manifest_error merr;
	e = capn_reader_init_framed(&r, bin.data, bin.len, &lim, NULL);
	if (e || manifest_check(&r, &merr) != MANIFEST_OK) {
		report(path, "not a valid manifest: %s", e ? capn_strerror(e) : merr.msg);
		free_bytes(&bin);
		return -1;
	}
	capos_Manifest_r m = capos_Manifest_read_root(&r);
	capos_Service_list_r services = capos_Manifest_get_services(m);
	capos_Binary_list_r bins = capos_Manifest_get_binaries(m);
	capos_File_list_r files = capos_Manifest_get_files(m);
	printf("manifest %s: version %u, %u services, %u binaries, %u files, %zu bytes\n", path,
	       capos_Manifest_get_version(m), capos_Service_list_len(services),
	       capos_Binary_list_len(bins), capos_File_list_len(files), bin.len);
	for (uint32_t i = 0; i < capos_Service_list_len(services); i++)
		print_service(capos_Service_list_get(services, i));
	for (uint32_t i = 0; i < capos_Binary_list_len(bins); i++) {
		capos_Binary_r b = capos_Binary_list_get(bins, i);
		capn_text name = capos_Binary_get_name(b);
		capn_data img = capos_Binary_get_image(b);
		struct elf_image elf;
		elf_parse(img.ptr, img.len, &elf); /* checked by manifest_check */
		printf("binary %.*s: %u bytes, static-PIE x86_64, entry 0x%llx, %u segments, "
		       "%llu relocations, TLS %llu bytes\n",
		       T(name), img.len, (unsigned long long)elf.entry, elf.nsegs,
		       (unsigned long long)elf.rela_count, (unsigned long long)(elf.has_tls ? elf.tls.memsz : 0));
	}
	for (uint32_t i = 0; i < capos_File_list_len(files); i++) {
		capos_File_r f = capos_File_list_get(files, i);
		capn_text p = capos_File_get_path(f);
		printf("file %.*s: %u bytes\n", T(p), capos_File_get_data(f).len);
	}
	free_bytes(&bin);
	return 0;
}
