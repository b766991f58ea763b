/*
 * mkmanifest.h - the pieces of tools/mkmanifest (see main.c for the tool).
 */
#ifndef MKMANIFEST_H
#define MKMANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "capn.h"

/* A whole file read into memory (free with free_bytes). */
struct bytes {
	uint8_t *data;
	size_t len;
};

/* Read `path` into *out, refusing files over `limit` bytes; returns 0, or an
 * errno value (EFBIG for over the limit). */
int read_file(const char *path, size_t limit, struct bytes *out);
void free_bytes(struct bytes *b);

/* Run `capnp encode SCHEMA Manifest` over the text manifest at `path`.
 * Returns 0 with the framed message in *out, or -1 after printing an error
 * naming `path` (with a line:column when capnp gave a position). */
int encode_text_manifest(const char *capnp, const char *schema, const char *path,
                         struct bytes *out);

/* Turn a source-form manifest (host paths, interface names) into the binary
 * form (embedded images and files, interface ids). Relative host paths are
 * looked up in `base_dir`, then in each of the `nsearch` search directories.
 * Returns 0 with the framed result in *out, or -1 after printing a one-line
 * error naming `manifest_path`. */
int build_manifest(struct capn_reader *src, const char *manifest_path, const char *base_dir,
                   const char *const *search, int nsearch, struct bytes *out);

/* Check a binary manifest exactly as the kernel will, and print it in
 * readable form to stdout. Returns 0, or -1 after printing the problem. */
int print_manifest(const char *path);

/* Print "mkmanifest: FILE: message" to stderr. */
void report(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* MKMANIFEST_H */
