/*
 * request.c - read the CodeGeneratorRequest into the model of capnpc.h,
 * index its nodes by id and name them.
 *
 * Strings point into the request message, which stays in memory for the
 * whole run (text in a message is NUL-terminated in place).
 */
#include <stdlib.h>
#include <string.h>

#include "capnpc.h"
#include "schema_capnp.h"

static const char *text(capn_text t)
{
	return t.str;
}

static void check(const struct request *req, const char *what)
{
	int err = capn_reader_error(&req->msg);
	if (err)
		die("malformed CodeGeneratorRequest (%s): %s", what, capn_strerror(err));
}

static struct type read_type(capn_struct_r t)
{
	struct type ty = { .kind = T_ANYPTR };
	uint16_t w = type_which(t);
	if (w > T_ANYPTR)
		return ty; /* a kind newer than this generator: an opaque pointer */
	ty.kind = (enum tkind)w;
	switch (ty.kind) {
	case T_LIST:
		ty.elem = xmalloc(sizeof *ty.elem);
		*ty.elem = read_type(type_list_elem(t));
		break;
	case T_ENUM:
	case T_STRUCT:
	case T_INTERFACE:
		ty.id = type_type_id(t);
		break;
	case T_ANYPTR:
		ty.capability = type_anyptr_which(t) == 0 && type_anyptr_unconstrained(t) == 3;
		break;
	default:
		break;
	}
	return ty;
}

static void read_fields(struct node *n, capn_list_r l)
{
	n->nfields = capn_list_len(l);
	n->fields = xcalloc(n->nfields, sizeof *n->fields);
	for (uint32_t i = 0; i < n->nfields; i++) {
		capn_struct_r s = capn_list_get_struct(l, i);
		struct field *f = &n->fields[i];
		f->name = text(field_name(s));
		f->code_order = field_code_order(s);
		f->disc = field_disc_value(s);
		if (field_which(s) == FIELD_GROUP) {
			f->is_group = true;
			f->group_id = field_group_type_id(s);
		} else {
			f->offset = field_slot_offset(s);
			f->type = read_type(field_slot_type(s));
			f->def = field_slot_default(s);
			f->had_default = field_slot_had_default(s);
		}
	}
}

static void read_node(struct node *n, capn_struct_r s)
{
	n->id = node_id(s);
	n->display_name = text(node_display_name(s));
	n->scope_id = node_scope_id(s);
	n->kind = node_which(s);

	capn_list_r nl = node_nested_nodes(s);
	n->nnested = capn_list_len(nl);
	n->nested = xcalloc(n->nnested, sizeof *n->nested);
	for (uint32_t i = 0; i < n->nnested; i++) {
		capn_struct_r e = capn_list_get_struct(nl, i);
		n->nested[i].name = text(nested_name(e));
		n->nested[i].id = nested_id(e);
	}

	switch (n->kind) {
	case NODE_STRUCT:
		n->data_words = node_struct_data_words(s);
		n->ptr_count = node_struct_ptr_count(s);
		n->is_group = node_struct_is_group(s);
		n->disc_count = node_struct_disc_count(s);
		n->disc_offset = node_struct_disc_offset(s);
		read_fields(n, node_struct_fields(s));
		break;
	case NODE_ENUM: {
		capn_list_r l = node_enum_enumerants(s);
		n->nenumerants = capn_list_len(l);
		n->enumerants = xcalloc(n->nenumerants, sizeof *n->enumerants);
		for (uint32_t i = 0; i < n->nenumerants; i++) {
			capn_struct_r e = capn_list_get_struct(l, i);
			n->enumerants[i].name = text(enumerant_name(e));
			n->enumerants[i].code_order = enumerant_code_order(e);
		}
		break;
	}
	case NODE_INTERFACE: {
		capn_list_r l = node_interface_methods(s);
		n->nmethods = capn_list_len(l);
		n->methods = xcalloc(n->nmethods, sizeof *n->methods);
		for (uint32_t i = 0; i < n->nmethods; i++) {
			capn_struct_r m = capn_list_get_struct(l, i);
			n->methods[i].name = text(method_name(m));
			n->methods[i].code_order = method_code_order(m);
			n->methods[i].ordinal = (uint16_t)i;
			n->methods[i].param_id = method_param_type(m);
			n->methods[i].result_id = method_result_type(m);
		}
		break;
	}
	case NODE_CONST:
		n->const_type = read_type(node_const_type(s));
		n->const_value = node_const_value(s);
		break;
	default:
		break;
	}
}

static int cmp_node(const void *a, const void *b)
{
	uint64_t x = ((const struct node *)a)->id, y = ((const struct node *)b)->id;
	return x < y ? -1 : x > y;
}

static int cmp_field(const void *a, const void *b)
{
	const struct field *x = a, *y = b;
	return (int)x->code_order - (int)y->code_order;
}

/* Attach the doc comments of Node.SourceInfo: the node's own, and its
 * members' (fields, enumerants or methods by their index in the schema's
 * lists, which is why this runs before fields are sorted). */
static void read_docs(struct request *req, capn_list_r l)
{
	for (uint32_t i = 0; i < capn_list_len(l); i++) {
		capn_struct_r s = capn_list_get_struct(l, i);
		struct node *n = node_find(req, srcinfo_id(s));
		if (!n)
			continue;
		capn_text d = srcinfo_doc(s);
		n->doc = d.len ? d.str : NULL;
		capn_list_r ml = srcinfo_members(s);
		for (uint32_t k = 0; k < capn_list_len(ml); k++) {
			capn_text md = member_doc(capn_list_get_struct(ml, k));
			const char *doc = md.len ? md.str : NULL;
			if (n->kind == NODE_STRUCT && k < n->nfields)
				n->fields[k].doc = doc;
			else if (n->kind == NODE_ENUM && k < n->nenumerants)
				n->enumerants[k].doc = doc;
			else if (n->kind == NODE_INTERFACE && k < n->nmethods)
				n->methods[k].doc = doc;
		}
	}
}

void request_read(struct request *req, FILE *in)
{
	size_t cap = 1 << 16, len = 0;
	uint8_t *data = xmalloc(cap);
	for (;;) {
		if (len == cap) {
			cap *= 2;
			data = realloc(data, cap);
			if (!data)
				die("out of memory");
		}
		size_t n = fread(data + len, 1, cap - len, in);
		if (n == 0)
			break;
		len += n;
	}
	if (ferror(in))
		die("cannot read the request from stdin");

	/* The schema is trusted, but we visit nodes many times: no traversal
	 * limit worth the name. */
	struct capn_limits limits = { .traversal_words = UINT64_MAX, .nesting = 64 };
	int err = capn_reader_init_framed(&req->msg, data, len, &limits, NULL);
	if (err)
		die("cannot parse the CodeGeneratorRequest on stdin: %s (run me as a `capnp compile -o` plugin)",
		    capn_strerror(err));
	capn_struct_r root = req->root = capn_reader_root(&req->msg);

	capn_list_r nl = req_nodes(root);
	req->nnodes = capn_list_len(nl);
	req->nodes = xcalloc(req->nnodes, sizeof *req->nodes);
	for (uint32_t i = 0; i < req->nnodes; i++)
		read_node(&req->nodes[i], capn_list_get_struct(nl, i));
	qsort(req->nodes, req->nnodes, sizeof *req->nodes, cmp_node);
	read_docs(req, req_source_info(root));
	for (uint32_t i = 0; i < req->nnodes; i++)
		qsort(req->nodes[i].fields, req->nodes[i].nfields, sizeof(struct field), cmp_field);
	check(req, "nodes");
}

struct node *node_find(const struct request *req, uint64_t id)
{
	struct node key = { .id = id };
	return bsearch(&key, req->nodes, req->nnodes, sizeof *req->nodes, cmp_node);
}

struct node *node_get(const struct request *req, uint64_t id, const char *what)
{
	struct node *n = node_find(req, id);
	if (!n)
		die("the request has no node @0x%016llx (%s)", (unsigned long long)id, what);
	return n;
}

/* ------------------------------------------------------------------ names */

/* The file's prefix: its base name without ".capnp", as a C identifier. */
static char *file_prefix(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n > 6 && strcmp(base + n - 6, ".capnp") == 0)
		n -= 6;
	char *p = xmalloc(n + 2), *o = p;
	if (n == 0 || (base[0] >= '0' && base[0] <= '9'))
		*o++ = '_';
	for (size_t i = 0; i < n; i++) {
		char c = base[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		*o++ = ok ? c : '_';
	}
	*o = 0;
	return p;
}

/* Names a struct's own accessors and types end in (<S>_r, <S>_list_r, ...):
 * a nested node or group with one of them gets a trailing '_' in C
 * (Type.list gives schema_Type_list__r, not a second schema_Type_list_r). */
static const char *const reserved_parts[] = { "r", "b", "list", "which", NULL };

static void set_name(struct node *n, struct node *parent, const char *cpart, const char *upart,
                     const char *qpart)
{
	if (n->cname)
		return;
	const char *mangle = "";
	for (int i = 0; reserved_parts[i]; i++)
		if (strcmp(cpart, reserved_parts[i]) == 0)
			mangle = "_";
	n->cname = xasprintf("%s_%s%s", parent->cname, cpart, mangle);
	n->uname = xasprintf("%s_%s", parent->uname, upart);
	n->qname = parent->kind == NODE_FILE ? xstrdup(qpart) : xasprintf("%s.%s", parent->qname, qpart);
	n->file = parent->file;
	n->parent = parent;
}

static void name_children(struct request *req, struct node *n);

static void name_child(struct request *req, struct node *parent, struct node *n, const char *cpart,
                       const char *upart, const char *qpart)
{
	if (!n || n->cname || n->kind == NODE_FILE)
		return;
	set_name(n, parent, cpart, upart, qpart);
	name_children(req, n);
}

static void name_children(struct request *req, struct node *n)
{
	if (n->kind == NODE_STRUCT) {
		for (uint32_t i = 0; i < n->nfields; i++) {
			struct field *f = &n->fields[i];
			if (f->is_group)
				name_child(req, n, node_find(req, f->group_id), f->name, upper_snake(f->name),
				           f->name);
		}
	}
	if (n->kind == NODE_INTERFACE) {
		for (uint32_t i = 0; i < n->nmethods; i++) {
			struct method *m = &n->methods[i];
			const uint64_t ids[2] = { m->param_id, m->result_id };
			static const char *const what[2] = { "Params", "Results" };
			for (int k = 0; k < 2; k++) {
				struct node *p = node_find(req, ids[k]);
				/* Implicit parameter structs have no scope; named ones are
				 * ordinary structs, named where they are declared. */
				if (!p || p->scope_id != 0 || p->kind != NODE_STRUCT)
					continue;
				char *c = xasprintf("%s_%s", m->name, what[k]);
				char *u = xasprintf("%s_%s", upper_snake(m->name), upper_snake(what[k]));
				char *q = xasprintf("%s$%s", m->name, what[k]);
				name_child(req, n, p, c, u, q);
			}
		}
	}
	for (uint32_t i = 0; i < n->nnested; i++)
		name_child(req, n, node_find(req, n->nested[i].id), n->nested[i].name,
		           upper_snake(n->nested[i].name), n->nested[i].name);
}

static int cmp_cname(const void *a, const void *b)
{
	return strcmp((*(struct node *const *)a)->cname, (*(struct node *const *)b)->cname);
}

void name_nodes(struct request *req)
{
	for (uint32_t i = 0; i < req->nnodes; i++) {
		struct node *f = &req->nodes[i];
		if (f->kind != NODE_FILE)
			continue;
		f->cname = file_prefix(f->display_name);
		f->uname = upper_snake(f->cname);
		f->qname = "";
		f->file = f;
	}
	for (uint32_t i = 0; i < req->nnodes; i++)
		if (req->nodes[i].kind == NODE_FILE)
			name_children(req, &req->nodes[i]);

	/* Two nodes with one C name would not compile; say so here instead. */
	struct node **named = xcalloc(req->nnodes, sizeof *named);
	uint32_t k = 0;
	for (uint32_t i = 0; i < req->nnodes; i++)
		if (req->nodes[i].cname && req->nodes[i].kind != NODE_FILE)
			named[k++] = &req->nodes[i];
	qsort(named, k, sizeof *named, cmp_cname);
	for (uint32_t i = 1; i < k; i++)
		if (strcmp(named[i - 1]->cname, named[i]->cname) == 0)
			die("%s and %s both map to the C name %s", named[i - 1]->display_name,
			    named[i]->display_name, named[i]->cname);
	free(named);
}

/* ------------------------------------------------------------------ walking */

static void walk(const struct request *req, struct node *n,
                 void (*fn)(const struct request *, struct node *, void *), void *arg)
{
	if (!n || n->kind == NODE_ANNOTATION || n->kind == NODE_FILE)
		return;
	fn(req, n, arg);
	if (n->kind == NODE_STRUCT)
		for (uint32_t i = 0; i < n->nfields; i++) {
			struct node *g = n->fields[i].is_group ? node_find(req, n->fields[i].group_id) : NULL;
			if (g && g->parent == n)
				walk(req, g, fn, arg);
		}
	if (n->kind == NODE_INTERFACE)
		for (uint32_t i = 0; i < n->nmethods; i++) {
			struct node *p = node_find(req, n->methods[i].param_id);
			struct node *r = node_find(req, n->methods[i].result_id);
			/* Only implicit ones: a named parameter struct is walked
			 * where it is declared. */
			if (p && p->parent == n && p->scope_id == 0)
				walk(req, p, fn, arg);
			if (r && r->parent == n && r->scope_id == 0 && r != p)
				walk(req, r, fn, arg);
		}
	for (uint32_t i = 0; i < n->nnested; i++) {
		struct node *c = node_find(req, n->nested[i].id);
		if (c && c->parent == n)
			walk(req, c, fn, arg);
	}
}

void walk_file(const struct request *req, struct node *file,
               void (*fn)(const struct request *, struct node *, void *), void *arg)
{
	for (uint32_t i = 0; i < file->nnested; i++) {
		struct node *c = node_find(req, file->nested[i].id);
		if (c && c->parent == file)
			walk(req, c, fn, arg);
	}
}
