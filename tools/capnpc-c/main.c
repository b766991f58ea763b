/*
 * capnpc-c - a `capnp compile` plugin that turns Cap'n Proto schemas into C
 * accessors over the freestanding runtime in schema/capnp/capn.h.
 *
 *   capnp compile --src-prefix=DIR -o path/to/capnpc-c:OUTDIR DIR/file.capnp
 *
 * writes OUTDIR/file.capnp.h (types, constants and inline accessors) and
 * OUTDIR/file.capnp.c (enum name tables, the interface table and constant
 * default values). Output files are named after the schema's base name.
 * The generated API is specified in docs/capnp.md, "Generated code".
 *
 * The top of each file names the command that made it: the value of the
 * environment variable CAPNPC_C_COMMAND if set (the build sets it, so that
 * output does not depend on where it was generated), else a plain
 * `capnp compile` line. Output depends on nothing else: the same schema
 * gives byte-identical files.
 */
#include <stdlib.h>
#include <string.h>

#include "capnpc.h"
#include "schema_capnp.h"

/* ------------------------------------------------------------------ per node */

static void visit(const struct request *req, struct node *n, void *arg)
{
	struct gen *g = arg;
	(void)req;
	switch (n->kind) {
	case NODE_STRUCT: emit_struct(g, n); break;
	case NODE_ENUM: emit_enum(g, n); break;
	case NODE_INTERFACE: emit_interface(g, n); break;
	case NODE_CONST: emit_const(g, n); break;
	default: break;
	}
}

/* Files whose types this file's fields and constants use, in order of first
 * use: their headers are included. */
struct uses {
	struct node *self;
	struct node **files;
	uint32_t n;
};

static void use_type(const struct request *req, struct uses *u, const struct type *t)
{
	while (t->kind == T_LIST)
		t = t->elem;
	if (t->kind != T_STRUCT && t->kind != T_ENUM)
		return;
	struct node *n = node_get(req, t->id, "a type");
	if (!n->file || n->file == u->self)
		return;
	for (uint32_t i = 0; i < u->n; i++)
		if (u->files[i] == n->file)
			return;
	u->files = realloc(u->files, (u->n + 1) * sizeof *u->files);
	if (!u->files)
		die("out of memory");
	u->files[u->n++] = n->file;
}

static void collect_uses(const struct request *req, struct node *n, void *arg)
{
	struct uses *u = arg;
	if (n->kind == NODE_CONST)
		use_type(req, u, &n->const_type);
	if (n->kind == NODE_STRUCT)
		for (uint32_t i = 0; i < n->nfields; i++)
			if (!n->fields[i].is_group)
				use_type(req, u, &n->fields[i].type);
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');
	return b ? b + 1 : path;
}

/* The command line for the banner, made safe for a C comment. */
static char *banner_command(const char *filename)
{
	const char *env = getenv("CAPNPC_C_COMMAND");
	char *cmd = env && *env ? xstrdup(env) : xasprintf("capnp compile -o capnpc-c %s", filename);
	for (char *p = cmd; *p; p++)
		if ((p[0] == '*' && p[1] == '/') || *p == '\n')
			*p = ' ';
	return cmd;
}

static void write_file(const char *name, const struct buf *b)
{
	FILE *f = fopen(name, "w");
	if (!f)
		die("cannot write %s", name);
	if (b->len && fwrite(b->p, 1, b->len, f) != b->len)
		die("cannot write %s", name);
	if (fclose(f) != 0)
		die("cannot write %s", name);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

#define ID_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

/* The identifier at p (letters, digits, '_'), copied. */
static char *ident_at(const char *p)
{
	size_t n = strspn(p, ID_CHARS);
	char *s = xmalloc(n + 1);
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

struct idlist {
	char **ids;
	size_t n, cap;
};

static void add_id(struct idlist *l, const char *ns, const char *p)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 256;
		l->ids = realloc(l->ids, l->cap * sizeof *l->ids);
		if (!l->ids)
			die("out of memory");
	}
	char *id = ident_at(p);
	l->ids[l->n++] = xasprintf("%s%s", ns, id);
	free(id);
}

/* Schema names can collide once flattened into C (e.g. a group `bar` and a
 * nested struct `Bar` both give ..._BAR_TYPE_ID): collect every identifier
 * the header defines (one definition per line, by construction) and refuse
 * to write a header that would not compile. */
static void check_unique(const struct buf *h, const char *schema)
{
	struct idlist l = { 0 };
	for (const char *line = h->p; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		if (strncmp(line, "#define ", 8) == 0) {
			add_id(&l, "", line + 8);
		} else if (strncmp(line, "typedef struct ", 15) == 0) {
			/* tag and typedef name are the same; tags of structs and
			 * enums share one namespace */
			add_id(&l, "", line + 15);
			add_id(&l, "tag ", line + 15);
		} else if (strncmp(line, "enum ", 5) == 0 && memchr(line, '{', len)) {
			add_id(&l, "tag ", line + 5);
		} else if (line[0] == '\t' && line[1] >= 'A' && line[1] <= 'Z') {
			add_id(&l, "", line + 1); /* an enumerator */
		} else if (strncmp(line, "static inline ", 14) == 0 || strncmp(line, "extern ", 7) == 0 ||
		           strncmp(line, "const ", 6) == 0) {
			const char *p = line + strcspn(line, "([;\n");
			while (p > line && strchr(ID_CHARS, p[-1]))
				p--;
			add_id(&l, "", p);
		}
		line = nl ? nl + 1 : NULL;
	}
	qsort(l.ids, l.n, sizeof *l.ids, cmp_str);
	for (size_t i = 1; i < l.n; i++)
		if (strcmp(l.ids[i - 1], l.ids[i]) == 0)
			die("%s: the C name %s would be defined twice (two schema names flatten to it)",
			    schema, l.ids[i]);
	for (size_t i = 0; i < l.n; i++)
		free(l.ids[i]);
	free(l.ids);
}

static void generate(const struct request *req, uint64_t id, const char *filename)
{
	struct node *file = node_get(req, id, filename);
	struct gen g = { .req = req, .file = file, .prefix = file->cname, .uprefix = file->uname };
	const char *base = base_name(filename);
	char *cmd = banner_command(filename);

	walk_file(req, file, visit, &g);
	emit_interface_table(&g);

	struct uses u = { .self = file };
	walk_file(req, file, collect_uses, &u);

	struct buf h = { 0 }, c = { 0 };
	bprintf(&h,
	        "/*\n"
	        " * %s.h - C accessors for %s, generated by tools/capnpc-c. DO NOT EDIT:\n"
	        " * change the schema and regenerate. Generated by:\n"
	        " *   %s\n"
	        " * The API is described in docs/capnp.md, \"Generated code\".\n"
	        " */\n"
	        "#ifndef CAPNP_GEN_%s_H\n"
	        "#define CAPNP_GEN_%s_H\n\n"
	        "#include \"capn.h\"\n",
	        base, base, cmd, g.uprefix, g.uprefix);
	for (uint32_t i = 0; i < u.n; i++)
		bprintf(&h, "#include \"%s.h\"\n", base_name(u.files[i]->display_name));
	bprintf(&h,
	        "\n/* The struct `s` when the discriminant of its union (at byte `off`) is\n"
	        " * `which`, else an empty struct, which reads as all defaults: the getters\n"
	        " * of a union member use it, so reading a member that is not set gives its\n"
	        " * default instead of misreading another member's data. */\n"
	        "static inline capn_struct_r %s__member(capn_struct_r s, uint32_t off, uint16_t which)\n"
	        "{\n"
	        "\tif (capn_get_u16(s, off, 0) == which)\n"
	        "\t\treturn s;\n"
	        "\treturn (capn_struct_r){ .msg = s.msg };\n"
	        "}\n",
	        g.prefix);
	if (g.types.len)
		bputs(&h, g.types.p);
	bputs(&h, "\n/* ================================================================ accessors */\n");
	if (g.funcs.len)
		bputs(&h, g.funcs.p);
	bprintf(&h, "\n#endif /* CAPNP_GEN_%s_H */\n", g.uprefix);

	bprintf(&c,
	        "/*\n"
	        " * %s.c - name tables and constant values for %s, generated by\n"
	        " * tools/capnpc-c. DO NOT EDIT: change the schema and regenerate. Generated by:\n"
	        " *   %s\n"
	        " */\n"
	        "#include \"%s.h\"\n\n",
	        base, base, cmd, base);
	if (g.src.len)
		bputs(&c, g.src.p);

	check_unique(&h, filename);
	char *hname = xasprintf("%s.h", base), *cname = xasprintf("%s.c", base);
	write_file(hname, &h);
	write_file(cname, &c);
}

int main(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: capnp compile -o capnpc-c[:OUTDIR] [--src-prefix=DIR] FILE.capnp\n"
		                "(capnpc-c reads a CodeGeneratorRequest on stdin)\n");
		return 2;
	}
	struct request req = { 0 };
	request_read(&req, stdin);
	name_nodes(&req);

	capn_list_r files = req_requested_files(req.root);
	for (uint32_t i = 0; i < capn_list_len(files); i++) {
		capn_struct_r f = capn_list_get_struct(files, i);
		generate(&req, rfile_id(f), rfile_filename(f).str);
	}
	int err = capn_reader_error(&req.msg);
	if (err)
		die("malformed CodeGeneratorRequest: %s", capn_strerror(err));
	return 0;
}
