/*
 * emit_other.c - enums (with their name tables), interfaces (ids, method
 * ordinals and the per-file interface table) and constants.
 */
#include <math.h>
#include <string.h>

#include "capnpc.h"
#include "schema_capnp.h"

/* ------------------------------------------------------------------ enums */

void emit_enum(struct gen *g, struct node *n)
{
	const char *C = n->cname, *U = n->uname;
	struct buf *t = &g->types, *s = &g->src;

	bprintf(t, "\n/* enum %s */\n", n->qname);
	emit_doc(t, n->doc, "");
	bprintf(t, "enum %s {\n", C);
	for (uint32_t i = 0; i < n->nenumerants; i++) {
		emit_doc(t, n->enumerants[i].doc, "\t");
		bprintf(t, "\t%s_%s = %u,\n", U, upper_snake(n->enumerants[i].name), i);
	}
	if (n->nenumerants == 0)
		bprintf(t, "\t%s__EMPTY = 0,\n", U); /* C has no empty enums */
	bprintf(t, "};\n");
	bprintf(t, "#define %s_TYPE_ID 0x%016llxull\n", U, (unsigned long long)n->id);
	bprintf(t, "/* The schema name of a value (\"%s\"), or NULL if it has none. */\n",
	        n->nenumerants ? n->enumerants[0].name : "");
	bprintf(t, "const char *%s_name(unsigned v);\n", C);

	if (n->nenumerants == 0) {
		bprintf(s, "const char *%s_name(unsigned v)\n{\n\t(void)v;\n\treturn NULL;\n}\n\n", C);
		return;
	}
	bprintf(s, "static const char *const %s__names[%u] = {\n", C, n->nenumerants);
	for (uint32_t i = 0; i < n->nenumerants; i++)
		bprintf(s, "\t\"%s\",\n", n->enumerants[i].name);
	bprintf(s, "};\n\n");
	bprintf(s, "const char *%s_name(unsigned v)\n{\n", C);
	bprintf(s, "\treturn v < %uu ? %s__names[v] : NULL;\n}\n\n", n->nenumerants, C);
}

/* ------------------------------------------------------------------ interfaces */

void emit_interface(struct gen *g, struct node *n)
{
	const char *C = n->cname, *U = n->uname;
	struct buf *t = &g->types, *s = &g->src;

	bprintf(t, "\n/* interface %s */\n", n->qname);
	emit_doc(t, n->doc, "");
	bprintf(t, "#define %s_INTERFACE_ID 0x%016llxull\n", U, (unsigned long long)n->id);
	for (uint32_t i = 0; i < n->nmethods; i++) {
		emit_doc(t, n->methods[i].doc, "");
		bprintf(t, "#define %s_METHOD_%s %u\n", U, upper_snake(n->methods[i].name),
		        n->methods[i].ordinal);
	}

	const char *methods = "NULL";
	if (n->nmethods) {
		bprintf(s, "static const struct capn_method_info %s__methods[%u] = {\n", C, n->nmethods);
		for (uint32_t i = 0; i < n->nmethods; i++)
			bprintf(s, "\t{ \"%s\", %u },\n", n->methods[i].name, n->methods[i].ordinal);
		bprintf(s, "};\n\n");
		methods = xasprintf("%s__methods", C);
	}
	bprintf(&g->iface_table, "\t{ %s, 0x%016llxull, %u, %s },\n",
	        c_string(n->qname, strlen(n->qname)), (unsigned long long)n->id, n->nmethods, methods);
	g->ninterfaces++;
}

void emit_interface_table(struct gen *g)
{
	const char *P = g->prefix;
	struct buf *t = &g->types, *s = &g->src;

	bprintf(t, "\n/* Every interface of this file, in declaration order, with its methods. */\n");
	bprintf(t, "extern const struct capn_interface_info %s_interfaces[];\n", P);
	bprintf(t, "extern const size_t %s_interface_count;\n", P);
	bprintf(t, "/* The interface named name[0..len) (its schema path, e.g. \"Outer.Inner\"), or NULL. */\n");
	bprintf(t, "const struct capn_interface_info *%s_interface_by_name(const char *name, size_t len);\n",
	        P);
	bprintf(t, "/* The interface with this id, or NULL. */\n");
	bprintf(t, "const struct capn_interface_info *%s_interface_by_id(uint64_t id);\n", P);

	if (g->ninterfaces) {
		bprintf(s, "const struct capn_interface_info %s_interfaces[%u] = {\n%s};\n", P,
		        g->ninterfaces, g->iface_table.p);
	} else {
		/* C has no empty arrays; the count says there is nothing here. */
		bprintf(s, "const struct capn_interface_info %s_interfaces[1] = { { NULL, 0, 0, NULL } };\n",
		        P);
	}
	bprintf(s, "const size_t %s_interface_count = %u;\n\n", P, g->ninterfaces);
	bprintf(s,
	        "const struct capn_interface_info *%s_interface_by_name(const char *name, size_t len)\n"
	        "{\n"
	        "\tfor (size_t i = 0; i < %s_interface_count; i++) {\n"
	        "\t\tconst char *s = %s_interfaces[i].name;\n"
	        "\t\tsize_t k = 0;\n"
	        "\t\twhile (k < len && s[k] != '\\0' && s[k] == name[k])\n"
	        "\t\t\tk++;\n"
	        "\t\tif (k == len && s[k] == '\\0')\n"
	        "\t\t\treturn &%s_interfaces[i];\n"
	        "\t}\n"
	        "\treturn NULL;\n"
	        "}\n\n",
	        P, P, P, P);
	bprintf(s,
	        "const struct capn_interface_info *%s_interface_by_id(uint64_t id)\n"
	        "{\n"
	        "\tfor (size_t i = 0; i < %s_interface_count; i++)\n"
	        "\t\tif (%s_interfaces[i].id == id)\n"
	        "\t\t\treturn &%s_interfaces[i];\n"
	        "\treturn NULL;\n"
	        "}\n",
	        P, P, P, P);
}

/* ------------------------------------------------------------------ constants */

static char *float_literal(double d, bool single)
{
	const char *f = single ? "f" : "";
	if (isnan(d))
		return xasprintf("__builtin_nan%s(\"\")", f);
	if (isinf(d))
		return xasprintf("(%s__builtin_inf%s())", d < 0 ? "-" : "", f);
	if (d < 0 || (d == 0 && signbit(d)))
		return xasprintf("(-%a%s)", -d, f);
	return xasprintf("%a%s", d, f);
}

static char *signed_literal(int64_t v, unsigned bits)
{
	const char *suffix = bits > 32 ? "ll" : "";
	if (v == INT64_MIN)
		return xstrdup("(-0x7fffffffffffffffll - 1)");
	if (v < 0)
		return xasprintf("(-%lld%s)", -(long long)v, suffix);
	return xasprintf("%lld%s", (long long)v, suffix);
}

void emit_const(struct gen *g, struct node *n)
{
	const struct type *ty = &n->const_type;
	capn_struct_r v = n->const_value;
	const char *U = n->uname;
	struct buf *t = &g->types;
	char *lit = NULL;

	bprintf(t, "\n/* const %s */\n", n->qname);
	emit_doc(t, n->doc, "");
	switch (ty->kind) {
	case T_VOID:
	case T_INTERFACE:
		bprintf(t, "/* (a %s constant has no C value) */\n", ty->kind == T_VOID ? "Void" : "capability");
		return;
	case T_BOOL: lit = xstrdup(value_bool(v) ? "true" : "false"); break;
	case T_INT8: lit = signed_literal((int8_t)value_u8(v), 8); break;
	case T_INT16: lit = signed_literal((int16_t)value_u16(v), 16); break;
	case T_INT32: lit = signed_literal((int32_t)value_u32(v), 32); break;
	case T_INT64: lit = signed_literal((int64_t)value_u64(v), 64); break;
	case T_UINT8: lit = xasprintf("%uu", value_u8(v)); break;
	case T_UINT16: lit = xasprintf("%uu", value_u16(v)); break;
	case T_UINT32: lit = xasprintf("%uu", value_u32(v)); break;
	case T_UINT64: lit = xasprintf("%lluull", (unsigned long long)value_u64(v)); break;
	case T_FLOAT32: lit = float_literal(capn_bits_to_f32(value_u32(v)), true); break;
	case T_FLOAT64: lit = float_literal(capn_bits_to_f64(value_u64(v)), false); break;
	case T_ENUM: {
		struct node *e = node_get(g->req, ty->id, "a constant's enum");
		uint16_t x = value_u16(v);
		if (x < e->nenumerants)
			lit = xasprintf("%s_%s", e->uname, upper_snake(e->enumerants[x].name));
		else
			lit = xasprintf("((enum %s)%u)", e->cname, x);
		break;
	}
	case T_TEXT: {
		capn_text s = capn_get_text(v, VALUE_PTR, NULL, 0);
		lit = c_string(s.str, s.len);
		break;
	}
	case T_DATA: {
		capn_data d = capn_get_data(v, VALUE_PTR, NULL, 0);
		bprintf(t, "extern const uint8_t %s[%u];\n", n->cname, d.len ? d.len : 1);
		bprintf(&g->src, "const uint8_t %s[%u] = {", n->cname, d.len ? d.len : 1);
		for (uint32_t i = 0; i < d.len; i++)
			bprintf(&g->src, "%s0x%02x,", i % 12 ? " " : "\n\t", d.ptr[i]);
		bprintf(&g->src, "%s\n};\n\n", d.len ? "" : " 0");
		lit = xasprintf("((capn_data){ %s, %u })", n->cname, d.len);
		break;
	}
	case T_STRUCT: {
		struct node *sn = node_get(g->req, ty->id, "a constant's struct");
		if (emit_segment(g, v, n->cname))
			lit = xasprintf("((%s_r){ capn_default_struct(&%s) })", sn->cname, n->cname);
		else
			lit = xasprintf("((%s_r){ capn_default_struct(NULL) })", sn->cname);
		break;
	}
	case T_LIST: {
		bool has = emit_segment(g, v, n->cname);
		const char *def = has ? xasprintf("&%s", n->cname) : "NULL";
		/* A struct with no pointers reads every pointer as its default. */
		const struct type *e = ty->elem;
		if (e->kind == T_STRUCT) {
			struct node *sn = node_get(g->req, e->id, "a constant's list");
			lit = xasprintf("((%s_list_r){ capn_get_list((capn_struct_r){ .msg = NULL }, 0, "
			                "CAPN_LIST_STRUCT, %s) })",
			                sn->cname, def);
		} else {
			const char *kind = "CAPN_LIST_POINTER";
			switch (type_bits(e->kind)) {
			case 1: kind = "CAPN_LIST_BIT"; break;
			case 8: kind = "CAPN_LIST_BYTE"; break;
			case 16: kind = "CAPN_LIST_2BYTES"; break;
			case 32: kind = "CAPN_LIST_4BYTES"; break;
			case 64: kind = "CAPN_LIST_8BYTES"; break;
			default: if (e->kind == T_VOID) kind = "CAPN_LIST_VOID"; break;
			}
			lit = xasprintf("(capn_get_list((capn_struct_r){ .msg = NULL }, 0, %s, %s))", kind, def);
		}
		break;
	}
	case T_ANYPTR:
		if (emit_segment(g, v, n->cname))
			lit = xasprintf("(&%s)", n->cname);
		else
			lit = xstrdup("((const struct capn_segment *)NULL)");
		break;
	}
	bprintf(t, "#define %s %s\n", U, lit);
}
