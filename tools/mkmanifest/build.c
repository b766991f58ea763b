/*
 * build.c - source-form manifest to binary form.
 *
 * The source form names host files (Binary.path, File.hostPath) and
 * interfaces by name (ServiceGrant.interface, Export.interface). This file
 * reads the files (with their size limits and the ELF check), resolves the
 * names to ids, and builds the binary form. Everything else (duplicates,
 * unknown binaries and sources, interface mismatches) is left to
 * manifest_check, run over the result exactly as the kernel will run it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf.h"
#include "manifest.h"
#include "mkmanifest.h"

struct loaded {
	struct bytes owned;  /* read from a host file (freed at the end) */
	capn_data data;      /* what goes into the manifest */
};

struct build {
	const char *mpath;    /* for messages */
	const char *base_dir; /* host paths are relative to this, */
	const char *const *search; /* ... or, failing that, to one of these */
	int nsearch;
	capos_Manifest_r src;
	struct loaded *bins;
	struct loaded *files;
	uint64_t *grant_ids;  /* resolved interface ids, services x MANIFEST_MAX_GRANTS */
	uint64_t *export_ids;
	size_t payload;       /* bytes of embedded images and files */
	size_t src_bytes;     /* size of the source message */
};

#define T(t) (int)(t).len, (t).str

/* The host file a relative path names: next to the manifest if it exists
 * there, else in the first search directory that has it, else (for the
 * error message) next to the manifest. */
static char *host_path(const struct build *bd, capn_text rel)
{
	char *p;
	if (rel.len && rel.str[0] == '/')
		return asprintf(&p, "%.*s", T(rel)) < 0 ? NULL : p;
	if (asprintf(&p, "%s/%.*s", bd->base_dir, T(rel)) < 0)
		return NULL;
	for (int i = 0; i < bd->nsearch && access(p, F_OK) != 0; i++) {
		char *q;
		if (asprintf(&q, "%s/%.*s", bd->search[i], T(rel)) < 0)
			break;
		if (access(q, F_OK) == 0) {
			free(p);
			return q;
		}
		free(q);
	}
	return p;
}

/* "service 'x': " for the first service that runs binary `bin`, so that a
 * binary problem names who needs it. */
static void service_prefix(const struct build *bd, capn_text bin, char *out, size_t cap)
{
	capos_Service_list_r services = capos_Manifest_get_services(bd->src);
	out[0] = '\0';
	for (uint32_t i = 0; i < capos_Service_list_len(services); i++) {
		capos_Service_r s = capos_Service_list_get(services, i);
		if (manifest_text_eq(capos_Service_get_binary(s), bin)) {
			capn_text name = capos_Service_get_name(s);
			snprintf(out, cap, "service '%.*s': ", T(name));
			return;
		}
	}
}

static int load_binaries(struct build *bd)
{
	capos_Binary_list_r bins = capos_Manifest_get_binaries(bd->src);
	uint32_t n = capos_Binary_list_len(bins);
	for (uint32_t i = 0; i < n; i++) {
		capos_Binary_r b = capos_Binary_list_get(bins, i);
		capn_text name = capos_Binary_get_name(b);
		char who[128];
		service_prefix(bd, name, who, sizeof(who));
		struct loaded *l = &bd->bins[i];
		char *path = NULL;
		if (capos_Binary_which(b) == CAPOS_BINARY_WHICH_PATH) {
			capn_text rel = capos_Binary_get_path(b);
			if (rel.len == 0) {
				report(bd->mpath, "%sbinary '%.*s': no path given", who, T(name));
				return -1;
			}
			path = host_path(bd, rel);
			int e = read_file(path, MANIFEST_MAX_BINARY_BYTES, &l->owned);
			if (e == EFBIG) {
				report(bd->mpath, "%sbinary '%.*s' (%s): %zu bytes, over the %u-byte limit", who,
				       T(name), path, l->owned.len, MANIFEST_MAX_BINARY_BYTES);
				free(path);
				return -1;
			}
			if (e) {
				report(bd->mpath, "%sbinary '%.*s' (%s): %s", who, T(name), path, strerror(e));
				free(path);
				return -1;
			}
			l->data = (capn_data){ l->owned.data, (uint32_t)l->owned.len };
		} else {
			l->data = capos_Binary_get_image(b);
		}
		struct elf_image elf;
		int e = elf_parse(l->data.ptr, l->data.len, &elf);
		if (e) {
			report(bd->mpath, "%sbinary '%.*s'%s%s%s: not a static-PIE x86_64 ELF: %s", who,
			       T(name), path ? " (" : "", path ? path : "", path ? ")" : "", elf_strerror(e));
			free(path);
			return -1;
		}
		free(path);
		bd->payload += l->data.len;
	}
	return 0;
}

static int load_files(struct build *bd)
{
	capos_File_list_r files = capos_Manifest_get_files(bd->src);
	for (uint32_t i = 0; i < capos_File_list_len(files); i++) {
		capos_File_r f = capos_File_list_get(files, i);
		capn_text tpath = capos_File_get_path(f);
		struct loaded *l = &bd->files[i];
		if (capos_File_which(f) == CAPOS_FILE_WHICH_HOST_PATH) {
			char *path = host_path(bd, capos_File_get_hostPath(f));
			int e = read_file(path, MANIFEST_MAX_FILE_BYTES, &l->owned);
			if (e == EFBIG)
				report(bd->mpath, "file '%.*s' (%s): %zu bytes, over the %u-byte limit", T(tpath),
				       path, l->owned.len, MANIFEST_MAX_FILE_BYTES);
			else if (e)
				report(bd->mpath, "file '%.*s' (%s): %s", T(tpath), path, strerror(e));
			free(path);
			if (e)
				return -1;
			l->data = (capn_data){ l->owned.data, (uint32_t)l->owned.len };
		} else {
			l->data = capos_File_get_data(f);
		}
		bd->payload += l->data.len;
	}
	return 0;
}

/* The id of interface `name`, or `given` when the source names none. */
static int resolve_iface(const struct build *bd, capn_text sname, const char *what, capn_text gname,
                         capn_text iname, uint64_t given, uint64_t *out)
{
	if (iname.len == 0) {
		if (given) {
			*out = given;
			return 0;
		}
		report(bd->mpath, "service '%.*s': %s '%.*s': no interface given (e.g. interface = \"Console\")",
		       T(sname), what, T(gname));
		return -1;
	}
	const struct capn_interface_info *info = capos_interface_by_name(iname.str, iname.len);
	if (!info) {
		report(bd->mpath, "service '%.*s': %s '%.*s': unknown interface '%.*s'", T(sname), what,
		       T(gname), T(iname));
		return -1;
	}
	*out = info->id;
	return 0;
}

static int resolve_interfaces(struct build *bd)
{
	capos_Service_list_r services = capos_Manifest_get_services(bd->src);
	for (uint32_t i = 0; i < capos_Service_list_len(services); i++) {
		capos_Service_r s = capos_Service_list_get(services, i);
		capn_text sname = capos_Service_get_name(s);
		capos_ServiceGrant_list_r caps = capos_Service_get_caps(s);
		capos_Export_list_r exports = capos_Service_get_exports(s);
		if (capos_ServiceGrant_list_len(caps) > MANIFEST_MAX_GRANTS ||
		    capos_Export_list_len(exports) > MANIFEST_MAX_GRANTS) {
			report(bd->mpath, "service '%.*s': more than %u caps or exports", T(sname),
			       MANIFEST_MAX_GRANTS);
			return -1;
		}
		for (uint32_t j = 0; j < capos_ServiceGrant_list_len(caps); j++) {
			capos_ServiceGrant_r g = capos_ServiceGrant_list_get(caps, j);
			if (resolve_iface(bd, sname, "cap", capos_ServiceGrant_get_name(g),
			                  capos_ServiceGrant_get_interface(g), capos_ServiceGrant_get_interfaceId(g),
			                  &bd->grant_ids[i * MANIFEST_MAX_GRANTS + j]))
				return -1;
		}
		for (uint32_t j = 0; j < capos_Export_list_len(exports); j++) {
			capos_Export_r ex = capos_Export_list_get(exports, j);
			if (resolve_iface(bd, sname, "export", capos_Export_get_name(ex),
			                  capos_Export_get_interface(ex), capos_Export_get_interfaceId(ex),
			                  &bd->export_ids[i * MANIFEST_MAX_GRANTS + j]))
				return -1;
		}
	}
	return 0;
}

static void emit_grant(capos_ServiceGrant_b d, capos_ServiceGrant_r g, uint64_t iface)
{
	capn_text t = capos_ServiceGrant_get_name(g);
	capos_ServiceGrant_set_name(d, t.str, t.len);
	t = capos_ServiceGrant_get_interface(g);
	capos_ServiceGrant_set_interface(d, t.str, t.len);
	capos_ServiceGrant_set_interfaceId(d, iface);
	capos_ServiceGrant_set_badge(d, capos_ServiceGrant_get_badge(g));
	capos_ServiceGrant_set_policy(d, capos_ServiceGrant_get_policy(g));
	capos_ServiceGrant_source_r src = capos_ServiceGrant_get_source(g);
	capos_ServiceGrant_source_b dsrc = capos_ServiceGrant_build_source(d);
	if (capos_ServiceGrant_source_which(src) == CAPOS_SERVICE_GRANT_SOURCE_WHICH_SERVICE) {
		capos_ServiceExport_r se = capos_ServiceGrant_source_get_service(src);
		capos_ServiceExport_b dse = capos_ServiceGrant_source_init_service(dsrc);
		t = capos_ServiceExport_get_service(se);
		capos_ServiceExport_set_service(dse, t.str, t.len);
		t = capos_ServiceExport_get_export(se);
		capos_ServiceExport_set_export(dse, t.str, t.len);
	} else {
		capos_ServiceGrant_source_set_kernel(dsrc, capos_ServiceGrant_source_get_kernel(src));
	}
}

static void emit_service(const struct build *bd, uint32_t i, capos_Service_b d, capos_Service_r s)
{
	capn_text t = capos_Service_get_name(s);
	capos_Service_set_name(d, t.str, t.len);
	t = capos_Service_get_binary(s);
	capos_Service_set_binary(d, t.str, t.len);

	capos_ServiceGrant_list_r caps = capos_Service_get_caps(s);
	capos_ServiceGrant_list_b dcaps = capos_Service_init_caps(d, capos_ServiceGrant_list_len(caps));
	for (uint32_t j = 0; j < capos_ServiceGrant_list_len(caps); j++)
		emit_grant(capos_ServiceGrant_list_at(dcaps, j), capos_ServiceGrant_list_get(caps, j),
		           bd->grant_ids[i * MANIFEST_MAX_GRANTS + j]);

	capos_Export_list_r exports = capos_Service_get_exports(s);
	capos_Export_list_b dexp = capos_Service_init_exports(d, capos_Export_list_len(exports));
	for (uint32_t j = 0; j < capos_Export_list_len(exports); j++) {
		capos_Export_r ex = capos_Export_list_get(exports, j);
		capos_Export_b dex = capos_Export_list_at(dexp, j);
		t = capos_Export_get_name(ex);
		capos_Export_set_name(dex, t.str, t.len);
		t = capos_Export_get_interface(ex);
		capos_Export_set_interface(dex, t.str, t.len);
		capos_Export_set_interfaceId(dex, bd->export_ids[i * MANIFEST_MAX_GRANTS + j]);
	}

	capos_Quota_r q = capos_Service_get_quota(s);
	capos_Quota_b dq = capos_Service_init_quota(d);
	capos_Quota_set_capSlots(dq, capos_Quota_get_capSlots(q));
	capos_Quota_set_outstandingCalls(dq, capos_Quota_get_outstandingCalls(q));
	capos_Quota_set_memoryPages(dq, capos_Quota_get_memoryPages(q));
	capos_Quota_set_children(dq, capos_Quota_get_children(q));

	capos_Service_set_start(d, capos_Service_get_start(s));

	capn_list_r args = capos_Service_get_args(s);
	capn_list_b dargs = capos_Service_init_args(d, capn_list_len(args));
	for (uint32_t j = 0; j < capn_list_len(args); j++) {
		t = capn_list_get_text(args, j);
		capn_set_text(capn_list_ptr_elem(dargs, j), 0, t.str, t.len);
	}
}

static int emit(struct build *bd, struct bytes *out)
{
	capos_Service_list_r services = capos_Manifest_get_services(bd->src);
	capos_Binary_list_r bins = capos_Manifest_get_binaries(bd->src);
	capos_File_list_r files = capos_Manifest_get_files(bd->src);

	/* The source message bounds everything but the payload; twice it is a
	 * generous bound for re-encoding plus ids and padding. */
	size_t arena_len = 2 * bd->src_bytes + bd->payload + (1u << 20);
	uint8_t *arena = calloc(1, arena_len);
	if (!arena) {
		report(bd->mpath, "out of memory");
		return -1;
	}
	struct capn_builder b;
	capn_builder_init(&b, arena, arena_len);
	capos_Manifest_b root = capos_Manifest_new_root(&b);
	uint32_t version = capos_Manifest_get_version(bd->src);
	capos_Manifest_set_version(root, version ? version : MANIFEST_VERSION);

	capos_Service_list_b dsvc = capos_Manifest_init_services(root, capos_Service_list_len(services));
	for (uint32_t i = 0; i < capos_Service_list_len(services); i++)
		emit_service(bd, i, capos_Service_list_at(dsvc, i), capos_Service_list_get(services, i));

	capos_Binary_list_b dbins = capos_Manifest_init_binaries(root, capos_Binary_list_len(bins));
	for (uint32_t i = 0; i < capos_Binary_list_len(bins); i++) {
		capos_Binary_b d = capos_Binary_list_at(dbins, i);
		capn_text name = capos_Binary_get_name(capos_Binary_list_get(bins, i));
		capos_Binary_set_name(d, name.str, name.len);
		capos_Binary_set_image(d, bd->bins[i].data.ptr, bd->bins[i].data.len);
	}

	capos_File_list_b dfiles = capos_Manifest_init_files(root, capos_File_list_len(files));
	for (uint32_t i = 0; i < capos_File_list_len(files); i++) {
		capos_File_b d = capos_File_list_at(dfiles, i);
		capn_text path = capos_File_get_path(capos_File_list_get(files, i));
		capos_File_set_path(d, path.str, path.len);
		capos_File_set_data(d, bd->files[i].data.ptr, bd->files[i].data.len);
	}

	const void *framed;
	size_t len;
	int e = capn_builder_error(&b);
	if (!e)
		e = capn_builder_finish(&b, &framed, &len);
	if (e) {
		report(bd->mpath, "cannot encode the manifest: %s", capn_strerror(e));
		free(arena);
		return -1;
	}
	if (len > MANIFEST_MAX_TOTAL_BYTES) {
		report(bd->mpath, "the manifest would be %zu bytes, over the %u-byte limit", len,
		       MANIFEST_MAX_TOTAL_BYTES);
		free(arena);
		return -1;
	}
	out->data = malloc(len);
	if (!out->data) {
		free(arena);
		report(bd->mpath, "out of memory");
		return -1;
	}
	memcpy(out->data, framed, len);
	out->len = len;
	free(arena);
	return 0;
}

/* Enough traversal budget to read a message of `len` bytes many times over
 * (manifest_check reads names repeatedly to find duplicates). */
static struct capn_limits limits_for(size_t len)
{
	struct capn_limits lim = { (uint64_t)len / 8u * 8u + (1u << 20), CAPN_DEFAULT_NESTING_LIMIT };
	return lim;
}

int build_manifest(struct capn_reader *src, const char *manifest_path, const char *base_dir,
                   const char *const *search, int nsearch, struct bytes *out)
{
	struct build bd = { .mpath = manifest_path, .base_dir = base_dir, .search = search, .nsearch = nsearch };
	int rc = -1;
	*out = (struct bytes){ 0 };
	bd.src = capos_Manifest_read_root(src);
	for (uint32_t i = 0; i < src->nsegs; i++)
		bd.src_bytes += (size_t)src->segs[i].words * 8u;
	uint32_t nbins = capos_Binary_list_len(capos_Manifest_get_binaries(bd.src));
	uint32_t nfiles = capos_File_list_len(capos_Manifest_get_files(bd.src));
	uint32_t nsvc = capos_Service_list_len(capos_Manifest_get_services(bd.src));
	if (capn_reader_error(src)) {
		report(manifest_path, "malformed manifest: %s", capn_strerror(capn_reader_error(src)));
		return -1;
	}
	if (nbins > MANIFEST_MAX_BINARIES || nfiles > MANIFEST_MAX_FILES || nsvc > MANIFEST_MAX_SERVICES) {
		report(manifest_path, "too many services, binaries or files (limits %u, %u, %u)",
		       MANIFEST_MAX_SERVICES, MANIFEST_MAX_BINARIES, MANIFEST_MAX_FILES);
		return -1;
	}
	bd.bins = calloc(nbins + 1, sizeof(*bd.bins));
	bd.files = calloc(nfiles + 1, sizeof(*bd.files));
	bd.grant_ids = calloc((size_t)(nsvc + 1) * MANIFEST_MAX_GRANTS, sizeof(uint64_t));
	bd.export_ids = calloc((size_t)(nsvc + 1) * MANIFEST_MAX_GRANTS, sizeof(uint64_t));
	if (!bd.bins || !bd.files || !bd.grant_ids || !bd.export_ids) {
		report(manifest_path, "out of memory");
		goto out;
	}
	if (load_binaries(&bd) || load_files(&bd) || resolve_interfaces(&bd) || emit(&bd, out))
		goto out;

	/* The kernel's own check, over exactly the bytes we are about to write. */
	struct capn_reader check;
	struct capn_limits lim = limits_for(out->len);
	struct manifest_error merr;
	capn_reader_init_framed(&check, out->data, out->len, &lim, NULL);
	if (manifest_check(&check, &merr) != MANIFEST_OK) {
		report(manifest_path, "%s", merr.msg);
		free_bytes(out);
		goto out;
	}
	rc = 0;
out:
	for (uint32_t i = 0; bd.bins && i < nbins; i++)
		free_bytes(&bd.bins[i].owned);
	for (uint32_t i = 0; bd.files && i < nfiles; i++)
		free_bytes(&bd.files[i].owned);
	free(bd.bins);
	free(bd.files);
	free(bd.grant_ids);
	free(bd.export_ids);
	return rc;
}
