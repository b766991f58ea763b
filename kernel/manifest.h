/*
 * manifest.h - validation of a binary boot manifest (schema: Manifest).
 *
 * The kernel never trusts manifest.bin: at boot it runs manifest_check over
 * the whole message before creating any process. mkmanifest runs the same
 * function over what it has just written, so a manifest the tool accepts is
 * one the kernel accepts. The limits below are the documented limits of the
 * format (docs/manifest.md).
 */
#ifndef KERNEL_MANIFEST_H
#define KERNEL_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "capn.h"
#include "gen/capos.capnp.h"

#define MANIFEST_VERSION 1u
#define MANIFEST_MAX_SERVICES 64u
#define MANIFEST_MAX_BINARIES 64u
#define MANIFEST_MAX_GRANTS 64u          /* per service, caps and exports together */
#define MANIFEST_MAX_ARGS 64u            /* per service */
#define MANIFEST_MAX_FILES 1024u
#define MANIFEST_MAX_NAME 63u            /* bytes in a service, binary, cap or export name (a CapSet name plus its NUL fits in 64) */
#define MANIFEST_MAX_PATH 255u           /* bytes in a file path */
#define MANIFEST_MAX_BINARY_BYTES (16u * 1024u * 1024u)
#define MANIFEST_MAX_FILE_BYTES (4u * 1024u * 1024u)
#define MANIFEST_MAX_TOTAL_BYTES (256u * 1024u * 1024u) /* the whole manifest.bin */
/* Quotas a service may ask for (the kernel sizes a table by each). */
#define MANIFEST_MAX_CAP_SLOTS 4096u         /* = CAP_TABLE_MAX */
#define MANIFEST_MAX_OUTSTANDING_CALLS 4096u /* = PROC_MAX_OUTSTANDING_CALLS */

enum manifest_error_code {
	MANIFEST_OK = 0,
	MANIFEST_ERR_MALFORMED,          /* not a well-formed Cap'n Proto Manifest */
	MANIFEST_ERR_VERSION,
	MANIFEST_ERR_NO_SERVICES,
	MANIFEST_ERR_TOO_MANY,           /* a count exceeds its MANIFEST_MAX_* */
	MANIFEST_ERR_BAD_NAME,           /* empty, too long, or not [A-Za-z0-9._-] */
	MANIFEST_ERR_DUPLICATE,          /* two services, binaries, caps, exports or files with one name */
	MANIFEST_ERR_UNKNOWN_BINARY,     /* a service names a binary the manifest lacks */
	MANIFEST_ERR_NOT_EMBEDDED,       /* a binary or file still in source form (a host path) */
	MANIFEST_ERR_BAD_ELF,            /* not a static-PIE x86_64 ELF */
	MANIFEST_ERR_TOO_LARGE,          /* a binary or file exceeds its size limit */
	MANIFEST_ERR_UNKNOWN_INTERFACE,  /* an interface id (or name) the schema does not define */
	MANIFEST_ERR_UNKNOWN_SOURCE,     /* a grant from a kernel cap or export that does not exist */
	MANIFEST_ERR_INTERFACE_MISMATCH, /* a grant's interface differs from its source's */
	MANIFEST_ERR_BAD_PATH,           /* a file path that is not absolute and normalised */
};

struct manifest_error {
	int code;       /* enum manifest_error_code */
	char msg[192];  /* one line, e.g. "service 'init': cap 'log': unknown interface" */
};

/* Check a whole binary-form manifest. Returns MANIFEST_OK or the first
 * problem's code, with a message in err. */
int manifest_check(struct capn_reader *msg, struct manifest_error *err);

/* The interface a kernel capability (enum capos_KernelCap) implements, or 0
 * for a value the schema does not define. */
uint64_t manifest_kernel_cap_interface(unsigned kernel_cap);

/* Name checks shared with mkmanifest's source-form validation. */
int manifest_check_name(capn_text name);
int manifest_check_path(capn_text path);

/* Byte-wise equality of two texts. */
int manifest_text_eq(capn_text a, capn_text b);

#endif /* KERNEL_MANIFEST_H */
