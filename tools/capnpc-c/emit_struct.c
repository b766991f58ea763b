/*
 * emit_struct.c - accessors for structs, groups and unions, and the
 * constant segments that hold pointer default values.
 *
 * Every accessor is a static inline wrapper over one capn_* call of the
 * runtime (schema/capnp/capn.h) with the field's offset and default baked in;
 * docs/capnp.md ("Generated code") is the contract for the names.
 */
#include <stdlib.h>
#include <string.h>

#include "capnpc.h"
#include "schema_capnp.h"

/* ------------------------------------------------------------------ defaults */

bool emit_segment(struct gen *g, capn_struct_r value, const char *name)
{
	if (!capn_has_ptr(value, VALUE_PTR))
		return false;
	/* Copy the value out of the request into a fresh one-arena message whose
	 * root is a struct with a single pointer: that pointer (word 1 of the
	 * arena) then refers to a contiguous copy of the value, and words
	 * 1..used form a segment whose word 0 points at it. */
	for (size_t size = 1u << 16;; size *= 2) {
		uint8_t *arena = xcalloc(size, 1);
		struct capn_builder b;
		capn_builder_init(&b, arena, size);
		capn_struct_b root = capn_builder_root(&b, 0, 1);
		int err = capn_copy_ptr(root, 0, value, VALUE_PTR);
		if (!err)
			err = capn_builder_error(&b);
		if (err == CAPN_ERR_NO_SPACE && size < (1u << 30)) {
			free(arena);
			continue;
		}
		if (err)
			die("cannot copy the default value %s: %s", name, capn_strerror(err));
		const uint8_t *words = b.segs[0].data + 8;
		uint32_t n = b.segs[0].used_words - 1;
		bprintf(&g->types, "extern const struct capn_segment %s;\n", name);
		bprintf(&g->src, "static const uint64_t %s__words[%u] = {", name, n);
		for (uint32_t i = 0; i < n; i++) {
			uint64_t w;
			memcpy(&w, words + (size_t)i * 8, 8);
			bprintf(&g->src, "%s0x%016llxull,", i % 4 ? " " : "\n\t", (unsigned long long)w);
		}
		bprintf(&g->src, "\n};\nconst struct capn_segment %s = { (const uint8_t *)%s__words, %u };\n\n",
		        name, name, n);
		free(arena);
		return true;
	}
}

/* ------------------------------------------------------------------ types */

static struct node *type_node(const struct gen *g, const struct type *t)
{
	struct node *n = node_get(g->req, t->id, "a field's type");
	if (!n->cname)
		die("type %s has no C name", n->display_name);
	return n;
}

/* The C type a scalar getter returns. */
static const char *scalar_ctype(const struct gen *g, const struct type *t)
{
	switch (t->kind) {
	case T_BOOL: return "bool";
	case T_INT8: return "int8_t";
	case T_INT16: return "int16_t";
	case T_INT32: return "int32_t";
	case T_INT64: return "int64_t";
	case T_UINT8: return "uint8_t";
	case T_UINT16: return "uint16_t";
	case T_UINT32: return "uint32_t";
	case T_UINT64: return "uint64_t";
	case T_FLOAT32: return "float";
	case T_FLOAT64: return "double";
	case T_ENUM: return xasprintf("enum %s", type_node(g, t)->cname);
	default: return NULL;
	}
}

/* capn_list_kind and capn_elem_size names for a list of `t`. */
static const char *list_kind(const struct type *t)
{
	switch (type_bits(t->kind)) {
	case 1: return "CAPN_LIST_BIT";
	case 8: return "CAPN_LIST_BYTE";
	case 16: return "CAPN_LIST_2BYTES";
	case 32: return "CAPN_LIST_4BYTES";
	case 64: return "CAPN_LIST_8BYTES";
	}
	if (t->kind == T_VOID)
		return "CAPN_LIST_VOID";
	return t->kind == T_STRUCT ? "CAPN_LIST_STRUCT" : "CAPN_LIST_POINTER";
}

static const char *elem_size(const struct type *t)
{
	switch (type_bits(t->kind)) {
	case 1: return "CAPN_SZ_BIT";
	case 8: return "CAPN_SZ_BYTE";
	case 16: return "CAPN_SZ_2BYTES";
	case 32: return "CAPN_SZ_4BYTES";
	case 64: return "CAPN_SZ_8BYTES";
	}
	return t->kind == T_VOID ? "CAPN_SZ_VOID" : "CAPN_SZ_POINTER";
}

/* The raw (wire, XOR) default of a scalar field, from its Value. */
static uint64_t scalar_default(const struct field *f)
{
	switch (type_bits(f->type.kind)) {
	case 1: return value_bool(f->def);
	case 8: return value_u8(f->def);
	case 16: return value_u16(f->def);
	case 32: return value_u32(f->def);
	case 64: return value_u64(f->def);
	default: return 0;
	}
}

/* ------------------------------------------------------------------ fields */

/* What the accessors of one field share. */
struct fctx {
	struct gen *g;
	struct node *s;    /* the struct or group the field belongs to */
	struct field *f;
	const char *fu;    /* the field's name, upper-snake */
	const char *src;   /* the reader expression: "r.s" or the union-member view */
	const char *which; /* the discriminant statement for setters, "" if not a member */
};

static void fn_begin(struct fctx *c, const char *ret, const char *verb, const char *params)
{
	bprintf(&c->g->funcs, "static inline %s %s_%s_%s(%s)\n{\n", ret, c->s->cname, verb, c->f->name,
	        params);
}

static void emit_scalar(struct fctx *c)
{
	const struct field *f = c->f;
	const struct type *t = &f->type;
	unsigned bits = type_bits(t->kind);
	const char *ctype = scalar_ctype(c->g, t);
	char *rparam = xasprintf("%s_r r", c->s->cname);
	char *bparam = xasprintf("%s_b b, %s v", c->s->cname, ctype);
	uint64_t def = scalar_default(f);
	char *d = c_uint(def, bits);
	struct buf *o = &c->g->funcs;

	if (t->kind == T_BOOL) {
		const char *db = def ? "true" : "false";
		fn_begin(c, "bool", "get", rparam);
		bprintf(o, "\treturn capn_get_bool(%s, %u, %s);\n}\n", c->src, f->offset, db);
		fn_begin(c, "void", "set", bparam);
		bprintf(o, "%s\tcapn_set_bool(b.s, %u, v, %s);\n}\n", c->which, f->offset, db);
		return;
	}
	unsigned off = f->offset * (bits / 8);
	char *get = xasprintf("capn_get_u%u(%s, %u, %s)", bits, c->src, off, d);
	char *val;
	switch (t->kind) {
	case T_INT8: case T_INT16: case T_INT32: case T_INT64:
		get = xasprintf("(%s)%s", ctype, get);
		val = xasprintf("(uint%u_t)v", bits);
		break;
	case T_FLOAT32: case T_FLOAT64:
		get = xasprintf("capn_bits_to_f%u(%s)", bits, get);
		val = xasprintf("capn_f%u_to_bits(v)", bits);
		break;
	case T_ENUM:
		get = xasprintf("(%s)%s", ctype, get);
		val = xstrdup("(uint16_t)v");
		break;
	default:
		val = xstrdup("v");
		break;
	}
	fn_begin(c, ctype, "get", rparam);
	bprintf(o, "\treturn %s;\n}\n", get);
	fn_begin(c, "void", "set", bparam);
	bprintf(o, "%s\tcapn_set_u%u(b.s, %u, %s, %s);\n}\n", c->which, bits, off, val, d);
}

/* Emit the default of a pointer field if it has one; returns the expression
 * to pass as the default segment ("NULL" if none). */
static const char *pointer_default(struct fctx *c)
{
	if (!c->f->had_default)
		return "NULL";
	char *name = xasprintf("%s_%s_default", c->s->cname, c->f->name);
	if (!emit_segment(c->g, c->f->def, name))
		return "NULL";
	return xasprintf("&%s", name);
}

static void emit_pointer(struct fctx *c)
{
	const struct field *f = c->f;
	const struct type *t = &f->type;
	const char *C = c->s->cname;
	unsigned idx = f->offset;
	char *rparam = xasprintf("%s_r r", C);
	struct buf *o = &c->g->funcs;

	bprintf(&c->g->types, "#define %s_%s_PTR_INDEX %u\n", c->s->uname, c->fu, idx);
	fn_begin(c, "bool", "has", rparam);
	bprintf(o, "\treturn capn_has_ptr(%s, %u);\n}\n", c->src, idx);

	switch (t->kind) {
	case T_TEXT: {
		const char *def = "NULL, 0";
		if (f->had_default && capn_has_ptr(f->def, VALUE_PTR)) {
			capn_text d = capn_get_text(f->def, VALUE_PTR, NULL, 0);
			if (d.len)
				def = xasprintf("%s, %u", c_string(d.str, d.len), d.len);
		}
		fn_begin(c, "capn_text", "get", rparam);
		bprintf(o, "\treturn capn_get_text(%s, %u, %s);\n}\n", c->src, idx, def);
		fn_begin(c, "int", "set", xasprintf("%s_b b, const char *str, size_t len", C));
		bprintf(o, "%s\treturn capn_set_text(b.s, %u, str, len);\n}\n", c->which, idx);
		break;
	}
	case T_DATA: {
		const char *def = "NULL, 0";
		if (f->had_default && capn_has_ptr(f->def, VALUE_PTR)) {
			capn_data d = capn_get_data(f->def, VALUE_PTR, NULL, 0);
			if (d.len) {
				char *name = xasprintf("%s_%s_default", C, f->name);
				bprintf(&c->g->types, "extern const uint8_t %s[%u];\n", name, d.len);
				bprintf(&c->g->src, "const uint8_t %s[%u] = {", name, d.len);
				for (uint32_t i = 0; i < d.len; i++)
					bprintf(&c->g->src, "%s0x%02x,", i % 12 ? " " : "\n\t", d.ptr[i]);
				bprintf(&c->g->src, "\n};\n\n");
				def = xasprintf("%s, %u", name, d.len);
			}
		}
		fn_begin(c, "capn_data", "get", rparam);
		bprintf(o, "\treturn capn_get_data(%s, %u, %s);\n}\n", c->src, idx, def);
		fn_begin(c, "int", "set", xasprintf("%s_b b, const void *ptr, size_t len", C));
		bprintf(o, "%s\treturn capn_set_data(b.s, %u, ptr, len);\n}\n", c->which, idx);
		break;
	}
	case T_STRUCT: {
		struct node *sn = type_node(c->g, t);
		const char *def = pointer_default(c);
		fn_begin(c, xasprintf("%s_r", sn->cname), "get", rparam);
		bprintf(o, "\treturn (%s_r){ capn_get_struct(%s, %u, %s) };\n}\n", sn->cname, c->src, idx, def);
		fn_begin(c, xasprintf("%s_b", sn->cname), "init", xasprintf("%s_b b", C));
		bprintf(o, "%s\treturn (%s_b){ capn_init_struct(b.s, %u, %s_DATA_WORDS, %s_PTR_COUNT) };\n}\n",
		        c->which, sn->cname, idx, sn->uname, sn->uname);
		break;
	}
	case T_LIST: {
		const struct type *e = t->elem;
		const char *def = pointer_default(c);
		if (e->kind == T_STRUCT) {
			struct node *sn = type_node(c->g, e);
			fn_begin(c, xasprintf("%s_list_r", sn->cname), "get", rparam);
			bprintf(o, "\treturn (%s_list_r){ capn_get_list(%s, %u, CAPN_LIST_STRUCT, %s) };\n}\n",
			        sn->cname, c->src, idx, def);
			fn_begin(c, xasprintf("%s_list_b", sn->cname), "init",
			         xasprintf("%s_b b, uint32_t n", C));
			bprintf(o,
			        "%s\treturn (%s_list_b){ capn_init_struct_list(b.s, %u, n, %s_DATA_WORDS, %s_PTR_COUNT) };\n}\n",
			        c->which, sn->cname, idx, sn->uname, sn->uname);
		} else {
			fn_begin(c, "capn_list_r", "get", rparam);
			bprintf(o, "\treturn capn_get_list(%s, %u, %s, %s);\n}\n", c->src, idx, list_kind(e), def);
			fn_begin(c, "capn_list_b", "init", xasprintf("%s_b b, uint32_t n", C));
			bprintf(o, "%s\treturn capn_init_list(b.s, %u, %s, n);\n}\n", c->which, idx, elem_size(e));
		}
		break;
	}
	case T_INTERFACE:
	case T_ANYPTR:
		if (t->kind == T_INTERFACE || t->capability) {
			fn_begin(c, "uint32_t", "get", rparam);
			bprintf(o, "\treturn capn_get_cap(%s, %u);\n}\n", c->src, idx);
			fn_begin(c, "int", "set", xasprintf("%s_b b, uint32_t cap", C));
			bprintf(o, "%s\treturn capn_set_cap(b.s, %u, cap);\n}\n", c->which, idx);
		} else if (*c->which) {
			/* An untyped pointer: the caller fills it in through
			 * _PTR_INDEX; set_x only selects the union member. */
			fn_begin(c, "void", "set", xasprintf("%s_b b", C));
			bprintf(o, "%s}\n", c->which);
		}
		break;
	default:
		break;
	}
}

static void emit_group_field(struct fctx *c)
{
	struct node *gn = node_get(c->g->req, c->f->group_id, "a group");
	const char *C = c->s->cname;
	fn_begin(c, xasprintf("%s_r", gn->cname), "get", xasprintf("%s_r r", C));
	bprintf(&c->g->funcs, "\treturn (%s_r){ %s };\n}\n", gn->cname, c->src);
	fn_begin(c, xasprintf("%s_b", gn->cname), "build", xasprintf("%s_b b", C));
	bprintf(&c->g->funcs, "%s\treturn (%s_b){ b.s };\n}\n", c->which, gn->cname);
}

static void emit_field(struct gen *g, struct node *s, struct field *f)
{
	struct fctx c = { .g = g, .s = s, .f = f, .fu = upper_snake(f->name), .src = "r.s", .which = "" };
	if (f->disc != FIELD_NO_DISCRIMINANT && s->disc_count) {
		unsigned doff = s->disc_offset * 2;
		c.src = xasprintf("%s__member(r.s, %u, %s_WHICH_%s)", g->prefix, doff, s->uname, c.fu);
		c.which = xasprintf("\tcapn_set_u16(b.s, %u, %s_WHICH_%s, 0);\n", doff, s->uname, c.fu);
	}
	emit_doc(&g->funcs, f->doc, "");
	if (f->is_group)
		emit_group_field(&c);
	else if (type_is_pointer(f->type.kind))
		emit_pointer(&c);
	else if (f->type.kind != T_VOID)
		emit_scalar(&c);
	else if (*c.which) {
		/* A Void union member: setting it only selects it. */
		fn_begin(&c, "void", "set", xasprintf("%s_b b", s->cname));
		bprintf(&g->funcs, "%s}\n", c.which);
	}
}

/* ------------------------------------------------------------------ structs */

void emit_struct(struct gen *g, struct node *n)
{
	const char *C = n->cname, *U = n->uname;
	struct buf *t = &g->types, *o = &g->funcs;

	bprintf(t, "\n/* %s %s */\n", n->is_group ? "group" : "struct", n->qname);
	emit_doc(t, n->doc, "");
	bprintf(t, "typedef struct %s_r { capn_struct_r s; } %s_r;\n", C, C);
	bprintf(t, "typedef struct %s_b { capn_struct_b s; } %s_b;\n", C, C);
	if (!n->is_group) {
		bprintf(t, "typedef struct %s_list_r { capn_list_r l; } %s_list_r;\n", C, C);
		bprintf(t, "typedef struct %s_list_b { capn_list_b l; } %s_list_b;\n", C, C);
	}
	bprintf(t, "#define %s_TYPE_ID 0x%016llxull\n", U, (unsigned long long)n->id);
	if (!n->is_group) {
		bprintf(t, "#define %s_DATA_WORDS %u\n", U, n->data_words);
		bprintf(t, "#define %s_PTR_COUNT %u\n", U, n->ptr_count);
	}
	if (n->disc_count) {
		bprintf(t, "enum %s_which {\n", C);
		for (uint32_t i = 0; i < n->nfields; i++)
			if (n->fields[i].disc != FIELD_NO_DISCRIMINANT)
				bprintf(t, "\t%s_WHICH_%s = %u,\n", U, upper_snake(n->fields[i].name),
				        n->fields[i].disc);
		bprintf(t, "};\n");
	}

	bprintf(o, "\n/* ---- %s %s */\n", n->is_group ? "group" : "struct", n->qname);
	if (!n->is_group) {
		bprintf(o, "static inline %s_r %s_read_root(struct capn_reader *m)\n{\n", C, C);
		bprintf(o, "\treturn (%s_r){ capn_reader_root(m) };\n}\n", C);
		bprintf(o, "static inline %s_b %s_new_root(struct capn_builder *m)\n{\n", C, C);
		bprintf(o, "\treturn (%s_b){ capn_builder_root(m, %s_DATA_WORDS, %s_PTR_COUNT) };\n}\n", C, U,
		        U);
	}
	if (n->disc_count) {
		bprintf(o, "static inline enum %s_which %s_which(%s_r r)\n{\n", C, C, C);
		bprintf(o, "\treturn (enum %s_which)capn_get_u16(r.s, %u, 0);\n}\n", C, n->disc_offset * 2);
	}
	for (uint32_t i = 0; i < n->nfields; i++)
		emit_field(g, n, &n->fields[i]);
	if (!n->is_group) {
		bprintf(o, "static inline uint32_t %s_list_len(%s_list_r l)\n{\n", C, C);
		bprintf(o, "\treturn capn_list_len(l.l);\n}\n");
		bprintf(o, "static inline %s_r %s_list_get(%s_list_r l, uint32_t i)\n{\n", C, C, C);
		bprintf(o, "\treturn (%s_r){ capn_list_get_struct(l.l, i) };\n}\n", C);
		bprintf(o, "static inline %s_b %s_list_at(%s_list_b l, uint32_t i)\n{\n", C, C, C);
		bprintf(o, "\treturn (%s_b){ capn_list_struct_at(l.l, i) };\n}\n", C);
	}
}
