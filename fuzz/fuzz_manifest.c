/*
 * fuzz_manifest.c - boot manifests: manifest_check (kernel/manifest.c) on
 * arbitrary bytes, and for every manifest it accepts, kernel_boot, a run,
 * and kernel_shutdown, on the fake HAL.
 *
 * The input is a framed Manifest message followed by an optional program.
 * The manifest is what the framing covers (the whole input when the framing
 * does not parse). The bytes after it drive the booted system with the
 * ring harness's action language (ring_driver.c): the first of them picks a
 * HAL allocation to fail during boot (< 200: none), the rest is a program
 * for whichever process the kernel resumes. Without a program the system is
 * shut down right after boot; either way kernel_shutdown must return 0 and
 * leave nothing in the HAL.
 *
 * Checks: manifest_check's verdict is deterministic, one of its codes, with
 * a NUL-terminated message; kernel_boot refuses everything manifest_check
 * refuses (exit status BAD_MANIFEST).
 */
#include <string.h>

#include "fake_hal.h"
#include "fuzz.h"
#include "kernel.h"
#include "manifest.h"
#include "ring_driver.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_hal_init();
	return 0;
}

static int check(const uint8_t *data, size_t len, struct manifest_error *err)
{
	/* The reader kernel_boot uses, with its limits. */
	static struct capn_reader r;
	struct capn_limits lim = { (uint64_t)(MANIFEST_MAX_SERVICES + 8) * (len / 8 + 64),
	                           CAPN_DEFAULT_NESTING_LIMIT };
	memset(err, 0x55, sizeof(*err));
	if (capn_reader_init_framed(&r, data, len, &lim, NULL)) {
		err->msg[0] = '\0';
		return -1;
	}
	int code = manifest_check(&r, err);
	if (code < MANIFEST_OK || code > MANIFEST_ERR_BAD_PATH || code != err->code)
		fuzz_fail("manifest: manifest_check returned %d (err.code %d)", code, err->code);
	if (!memchr(err->msg, '\0', sizeof(err->msg)))
		fuzz_fail("manifest: the error message is not NUL-terminated");
	if (code != MANIFEST_OK && !err->msg[0])
		fuzz_fail("manifest: refused (%d) without a message", code);
	return code;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fake_hal_reset();
	struct capn_reader probe;
	size_t mlen = size;
	if (capn_reader_init_framed(&probe, data, size, NULL, &mlen))
		mlen = size;

	struct manifest_error e1, e2;
	int code = check(data, mlen, &e1);
	if (check(data, mlen, &e2) != code || strcmp(e1.msg, e2.msg))
		fuzz_fail("manifest: manifest_check is not deterministic");

	struct fz f = { data + mlen, size - mlen };
	uint8_t fail = fz_u8(&f);
	struct kernel_config cfg = { .check_ledger = true, .trace = fail & 1 };
	if (code == MANIFEST_OK && fail >= 200)
		fake_hal_fail_alloc_at(fail - 200);
	struct hal_ctx *ctx = kernel_boot(data, mlen, &cfg);
	fake_hal_fail_alloc_at(-1);
	if (code != MANIFEST_OK) {
		if (ctx || kernel_exit_status().kind != KERNEL_EXIT_BAD_MANIFEST)
			fuzz_fail("manifest: kernel_boot did not refuse what manifest_check refused (%s)", e1.msg);
	} else if (ctx && fz_left(&f)) {
		struct rd_config rc = { NULL, NULL, NULL };
		rd_run(&f, ctx, &rc);
	}
	fuzz_shutdown_and_check("manifest");
	return 0;
}
