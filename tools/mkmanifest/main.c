/*
 * mkmanifest - build a capOS boot manifest (manifest.bin) from its text form.
 *
 * The text form is Cap'n Proto text for the Manifest struct of
 * schema/capos.capnp, with binaries and files named by host path and
 * interfaces by name; docs/manifest.md documents it with an example. The tool
 * embeds the binaries and files, resolves interface names to ids, checks the
 * result exactly as the kernel will at boot, and writes it atomically. With
 * --print it checks and shows an existing manifest.bin.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mkmanifest.h"

#ifndef CAPOS_SCHEMA_PATH
#define CAPOS_SCHEMA_PATH "schema/capos.capnp"
#endif

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: mkmanifest [options] MANIFEST.txt   build manifest.bin from its text form\n"
	        "       mkmanifest --print MANIFEST.bin      check a manifest and show it\n"
	        "\n"
	        "options:\n"
	        "  -o, --output FILE   where to write (default: manifest.bin)\n"
	        "  -L, --search DIR    also look for relative host paths in DIR (repeatable)\n"
	        "  --schema FILE       the capOS schema (default: $CAPOS_SCHEMA or %s)\n"
	        "  --capnp PROG        the capnp tool (default: capnp)\n"
	        "  -h, --help          this text\n"
	        "\n"
	        "Relative host paths are looked up next to the manifest, then in each -L DIR.\n"
	        "Limits: a binary up to 16 MiB, a file up to 4 MiB, the whole manifest 256 MiB.\n"
	        "See docs/manifest.md.\n",
	        CAPOS_SCHEMA_PATH);
}

static int write_atomically(const char *path, const struct bytes *b)
{
	char *tmp;
	if (asprintf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0)
		return ENOMEM;
	FILE *f = fopen(tmp, "wb");
	int e = 0;
	if (!f) {
		e = errno;
	} else {
		if (fwrite(b->data, 1, b->len, f) != b->len)
			e = errno ? errno : EIO;
		if (fclose(f) != 0 && !e)
			e = errno;
		if (!e && rename(tmp, path) != 0)
			e = errno;
		if (e)
			unlink(tmp);
	}
	free(tmp);
	return e;
}

int main(int argc, char **argv)
{
	const char *out_path = "manifest.bin", *schema = getenv("CAPOS_SCHEMA"), *capnp = "capnp";
	const char *input = NULL, *print = NULL;
	const char *search[16];
	int nsearch = 0;
	if (!schema)
		schema = CAPOS_SCHEMA_PATH;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has_next = i + 1 < argc;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && has_next) {
			out_path = argv[++i];
		} else if ((!strcmp(a, "-L") || !strcmp(a, "--search")) && has_next) {
			if (nsearch == (int)(sizeof(search) / sizeof(search[0]))) {
				fprintf(stderr, "mkmanifest: too many search directories\n");
				return 2;
			}
			search[nsearch++] = argv[++i];
		} else if (!strcmp(a, "--schema") && has_next) {
			schema = argv[++i];
		} else if (!strcmp(a, "--capnp") && has_next) {
			capnp = argv[++i];
		} else if (!strcmp(a, "--print") && has_next) {
			print = argv[++i];
		} else if (a[0] == '-') {
			fprintf(stderr, "mkmanifest: unknown or incomplete option '%s'\n", a);
			usage(stderr);
			return 2;
		} else if (!input) {
			input = a;
		} else {
			fprintf(stderr, "mkmanifest: one manifest at a time ('%s' and '%s')\n", input, a);
			return 2;
		}
	}
	if (print)
		return print_manifest(print) ? 1 : 0;
	if (!input) {
		usage(stderr);
		return 2;
	}

	struct bytes text_bin, out;
	if (encode_text_manifest(capnp, schema, input, &text_bin))
		return 1;
	struct capn_reader src;
	struct capn_limits lim = { (uint64_t)text_bin.len + (1u << 20), CAPN_DEFAULT_NESTING_LIMIT };
	int e = capn_reader_init_framed(&src, text_bin.data, text_bin.len, &lim, NULL);
	if (e) {
		report(input, "capnp encode produced a bad message: %s", capn_strerror(e));
		free_bytes(&text_bin);
		return 1;
	}
	char *dir_copy = strdup(input);
	int rc = build_manifest(&src, input, dirname(dir_copy), search, nsearch, &out);
	free(dir_copy);
	free_bytes(&text_bin);
	if (rc)
		return 1;
	e = write_atomically(out_path, &out);
	free_bytes(&out);
	if (e) {
		report(out_path, "cannot write: %s", strerror(e));
		return 1;
	}
	return 0;
}
