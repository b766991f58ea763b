/*
 * fuzz_common.c - the layer every harness shares (see fuzz.h).
 */
#include "fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap/kcaps.h"
#include "fake_hal.h"
#include "kernel.h"
#include "proc.h"

/* ------------------------------------------------------------ the input */

const uint8_t *fz_bytes(struct fz *f, size_t max, size_t *len)
{
	size_t want = max <= 255 ? fz_u8(f) : fz_u16(f);
	if (want > max)
		want %= max + 1;
	if (want > f->n)
		want = f->n;
	const uint8_t *p = f->p;
	f->p += want;
	f->n -= want;
	*len = want;
	return p;
}

/* ------------------------------------------------------------ failing */

static void print_tail(const char *what, const char *s)
{
	size_t n = strlen(s);
	const size_t keep = 6000;
	if (n > keep) {
		fprintf(stderr, "--- %s (last %zu of %zu bytes) ---\n", what, keep, n);
		s += n - keep;
	} else {
		fprintf(stderr, "--- %s ---\n", what);
	}
	fprintf(stderr, "%s\n--- end of %s ---\n", s, what);
}

_Noreturn void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "\n==== capOS fuzz finding: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	print_tail("kernel console", fake_hal_console_output());
	print_tail("kernel debug channel", fake_hal_debug_output());
	abort();
}

static void on_panic(const char *console)
{
	(void)console;
	fuzz_fail("kernel panic (hal_panic)");
}

void fuzz_hal_init(void)
{
	fake_hal_set_abort_on_misuse(true);
	fake_hal_set_unexpected_panic_handler(on_panic);
	fake_hal_reset();
}

/* ------------------------------------------------------------ physical frames
 *
 * The fake HAL only counts frames. mk/fuzz.mk links every harness with
 * -Wl,--wrap=hal_frame_alloc,--wrap=hal_frame_free, so the kernel's calls
 * come here first: each allocation is remembered, and a free of anything
 * but exactly one earlier allocation (its base and its count) is a HAL
 * misuse, i.e. a finding. */

int __real_hal_frame_alloc(uint32_t count, uint64_t *base);
void __real_hal_frame_free(uint64_t base, uint32_t count);
int __wrap_hal_frame_alloc(uint32_t count, uint64_t *base);
void __wrap_hal_frame_free(uint64_t base, uint32_t count);

struct frame_run {
	uint64_t base;
	uint32_t count;
};

static struct {
	struct frame_run *runs;
	size_t nruns, cap;
	size_t live;
} frames;

size_t fuzz_live_frames(void) { return frames.live; }

int __wrap_hal_frame_alloc(uint32_t count, uint64_t *base)
{
	if (frames.nruns == frames.cap) {
		size_t cap = frames.cap ? frames.cap * 2 : 64;
		struct frame_run *n = realloc(frames.runs, cap * sizeof(*n));
		if (!n)
			abort();
		frames.runs = n;
		frames.cap = cap;
	}
	int err = __real_hal_frame_alloc(count, base);
	if (err)
		return err;
	for (size_t i = 0; i < frames.nruns; i++)
		if (*base < frames.runs[i].base + frames.runs[i].count * 4096ull &&
		    frames.runs[i].base < *base + count * 4096ull)
			fuzz_fail("fake HAL: hal_frame_alloc(%u) returned %#llx, which overlaps a live allocation",
			          count, (unsigned long long)*base);
	frames.runs[frames.nruns++] = (struct frame_run){ *base, count };
	frames.live += count;
	return 0;
}

void __wrap_hal_frame_free(uint64_t base, uint32_t count)
{
	for (size_t i = 0; i < frames.nruns; i++) {
		if (frames.runs[i].base != base)
			continue;
		if (frames.runs[i].count != count)
			fuzz_fail("fake HAL: kernel misused the HAL: hal_frame_free(%#llx, %u): allocated as %u frames",
			          (unsigned long long)base, count, frames.runs[i].count);
		frames.live -= count;
		frames.runs[i] = frames.runs[--frames.nruns];
		__real_hal_frame_free(base, count);
		return;
	}
	fuzz_fail("fake HAL: kernel misused the HAL: hal_frame_free(%#llx, %u): not allocated",
	          (unsigned long long)base, count);
}

/* ------------------------------------------------------------ after an input */

void fuzz_check_clean(const char *where)
{
	if (fake_hal_misuse_count())
		fuzz_fail("%s: HAL misused: %s", where, fake_hal_last_misuse());
	size_t as = fake_hal_live_address_spaces(), regions = fake_hal_live_regions(),
	       upages = fake_hal_live_user_pages(), ctxs = fake_hal_live_contexts(),
	       kpages = fake_hal_live_kernel_pages(), fr = fuzz_live_frames() + fake_hal_live_frames();
	if (as || regions || upages || ctxs || kpages || fr)
		fuzz_fail("%s: left behind in the HAL: %zu address spaces, %zu regions, %zu user pages, "
		          "%zu contexts, %zu kernel pages, %zu physical frames",
		          where, as, regions, upages, ctxs, kpages, fr);
}

void fuzz_shutdown_and_check(const char *where)
{
	size_t leaked = kernel_shutdown();
	if (leaked)
		fuzz_fail("%s: kernel_shutdown: %zu kernel allocations not returned", where, leaked);
	if (!kcaps_all_released())
		fuzz_fail("%s: a kernel capability is still referenced after shutdown", where);
	if (proc_live_count())
		fuzz_fail("%s: %zu processes alive after shutdown", where, proc_live_count());
	fuzz_check_clean(where);
}

/* ------------------------------------------------------------ manifests */

static int set_text(capn_struct_b s, uint16_t i, const char *t)
{
	return capn_set_text(s, i, t, strlen(t));
}

size_t fm_build(const struct fm_service *svcs, unsigned nsvcs, const struct fm_binary *bins,
                unsigned nbins, const struct fm_file *files, unsigned nfiles, void *out, size_t cap)
{
	struct capn_builder b;
	if (capn_builder_init(&b, out, cap))
		return 0;
	capos_Manifest_b m = capos_Manifest_new_root(&b);
	capos_Manifest_set_version(m, 1);
	capos_Service_list_b sl = capos_Manifest_init_services(m, nsvcs);
	for (unsigned i = 0; i < nsvcs; i++) {
		const struct fm_service *sv = &svcs[i];
		capos_Service_b s = capos_Service_list_at(sl, i);
		capos_Service_set_name(s, sv->name, strlen(sv->name));
		capos_Service_set_binary(s, sv->binary, strlen(sv->binary));
		capos_ServiceGrant_list_b gl = capos_Service_init_caps(s, sv->ngrants);
		for (unsigned j = 0; j < sv->ngrants; j++) {
			const struct fm_grant *g = &sv->grants[j];
			capos_ServiceGrant_b gb = capos_ServiceGrant_list_at(gl, j);
			capos_ServiceGrant_set_name(gb, g->name, strlen(g->name));
			capos_ServiceGrant_set_interfaceId(gb, g->iface);
			capos_ServiceGrant_set_badge(gb, g->badge);
			capos_ServiceGrant_set_policy(gb, (enum capos_HoldPolicy)g->policy);
			capos_ServiceGrant_source_b src = capos_ServiceGrant_build_source(gb);
			if (g->kernel >= 0) {
				capos_ServiceGrant_source_set_kernel(src, (enum capos_KernelCap)g->kernel);
			} else {
				capos_ServiceExport_b se = capos_ServiceGrant_source_init_service(src);
				set_text(se.s, 0, g->service);
				set_text(se.s, 1, g->export_name);
			}
		}
		capos_Export_list_b el = capos_Service_init_exports(s, sv->nexports);
		for (unsigned j = 0; j < sv->nexports; j++) {
			capos_Export_b e = capos_Export_list_at(el, j);
			capos_Export_set_name(e, sv->exports[j].name, strlen(sv->exports[j].name));
			capos_Export_set_interfaceId(e, sv->exports[j].iface);
		}
		if (sv->cap_slots || sv->outstanding_calls || sv->memory_pages || sv->children) {
			capos_Quota_b q = capos_Service_init_quota(s);
			capos_Quota_set_capSlots(q, sv->cap_slots);
			capos_Quota_set_outstandingCalls(q, sv->outstanding_calls);
			capos_Quota_set_memoryPages(q, sv->memory_pages);
			capos_Quota_set_children(q, sv->children);
		}
		if (sv->nargs) {
			capn_list_b al = capos_Service_init_args(s, sv->nargs);
			for (unsigned j = 0; j < sv->nargs; j++)
				set_text(capn_list_ptr_elem(al, j), 0, sv->args[j]);
		}
#ifdef CAPOS_START_MODE_TYPE_ID
		if (sv->by_init)
			capos_Service_set_start(s, CAPOS_START_MODE_BY_INIT);
#endif
	}
	capos_Binary_list_b bl = capos_Manifest_init_binaries(m, nbins);
	for (unsigned i = 0; i < nbins; i++) {
		capos_Binary_b bb = capos_Binary_list_at(bl, i);
		capos_Binary_set_name(bb, bins[i].name, strlen(bins[i].name));
		capos_Binary_set_image(bb, bins[i].image, bins[i].len);
	}
	if (nfiles) {
		capos_File_list_b fl = capos_Manifest_init_files(m, nfiles);
		for (unsigned i = 0; i < nfiles; i++) {
			capos_File_b fb = capos_File_list_at(fl, i);
			capos_File_set_path(fb, files[i].path, strlen(files[i].path));
			capos_File_set_data(fb, files[i].data, files[i].len);
		}
	}
	const void *framed;
	size_t len;
	if (capn_builder_error(&b) || capn_builder_finish(&b, &framed, &len))
		return 0;
	if (framed != out)
		memmove(out, framed, len);
	return len;
}
