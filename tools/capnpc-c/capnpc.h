/*
 * capnpc.h - the schema model capnpc-c builds from a CodeGeneratorRequest,
 * and the interfaces between its parts:
 *
 *   request.c      read the request (stdin) into nodes; index them by id;
 *                  give every node its C names
 *   util.c         errors, allocation, text buffers, name spelling, C literals
 *   emit_struct.c  struct, group and union accessors; pointer default values
 *   emit_other.c   enums, interfaces, constants, the interface table
 *   main.c         one .capnp.h and .capnp.c per requested file
 */
#ifndef CAPNPC_C_CAPNPC_H
#define CAPNPC_C_CAPNPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capn.h"

/* ------------------------------------------------------------------ model */

/* Type kinds: the union tags of schema.capnp's Type, in order. */
enum tkind {
	T_VOID, T_BOOL, T_INT8, T_INT16, T_INT32, T_INT64, T_UINT8, T_UINT16, T_UINT32,
	T_UINT64, T_FLOAT32, T_FLOAT64, T_TEXT, T_DATA, T_LIST, T_ENUM, T_STRUCT, T_INTERFACE,
	T_ANYPTR
};

struct type {
	enum tkind kind;
	uint64_t id;        /* enum, struct, interface */
	struct type *elem;  /* list */
	bool capability;    /* AnyPointer constrained to `Capability` */
};

struct field {
	const char *name;
	const char *doc;     /* NULL if none */
	uint16_t code_order;
	uint16_t disc;       /* discriminant value, FIELD_NO_DISCRIMINANT if not in a union */
	bool is_group;
	uint64_t group_id;
	uint32_t offset;     /* in units of the type's size (bits for Bool) */
	struct type type;
	capn_struct_r def;   /* the Value holding the default */
	bool had_default;
};

struct enumerant {
	const char *name;
	const char *doc;
	uint16_t code_order;
};

struct method {
	const char *name;
	const char *doc;
	uint16_t code_order;
	uint16_t ordinal;
	uint64_t param_id, result_id;
};

struct nested {
	const char *name;
	uint64_t id;
};

struct node {
	uint64_t id;
	const char *display_name;
	uint64_t scope_id;
	unsigned kind; /* NODE_FILE ... NODE_ANNOTATION */
	const char *doc;

	struct nested *nested;
	uint32_t nnested;

	/* struct */
	uint16_t data_words, ptr_count, disc_count;
	uint32_t disc_offset; /* in 16-bit units */
	bool is_group;
	struct field *fields; /* in declaration (code) order */
	uint32_t nfields;

	/* enum */
	struct enumerant *enumerants; /* by value */
	uint32_t nenumerants;

	/* interface */
	struct method *methods; /* by ordinal */
	uint32_t nmethods;

	/* const */
	struct type const_type;
	capn_struct_r const_value;

	/* Names, filled in by name_nodes(): NULL for nodes that get no C code
	 * (annotations, files not reached). */
	const char *cname;  /* "capos_CapException_Type" */
	const char *uname;  /* "CAPOS_CAP_EXCEPTION_TYPE" */
	const char *qname;  /* "CapException.Type" (schema path within the file) */
	struct node *file;  /* the file node it belongs to */
	struct node *parent; /* the node it was named under */
};

struct request {
	struct capn_reader msg;
	capn_struct_r root;
	struct node *nodes; /* sorted by id */
	uint32_t nnodes;
};

/* ------------------------------------------------------------------ request.c */

/* Read and decode the request framed on `in`; exits on error. */
void request_read(struct request *req, FILE *in);
/* The node with this id, or NULL. */
struct node *node_find(const struct request *req, uint64_t id);
/* The node with this id; exits with a message naming `what` if missing. */
struct node *node_get(const struct request *req, uint64_t id, const char *what);
/* Give every node reachable from a file node its C names. */
void name_nodes(struct request *req);
/* Call fn for every node of `file` that gets code, in declaration order:
 * a node, then its groups, then (for interfaces) the implicit parameter and
 * result structs of its methods, then its nested nodes. */
void walk_file(const struct request *req, struct node *file,
               void (*fn)(const struct request *, struct node *, void *), void *arg);

/* ------------------------------------------------------------------ util.c */

void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growing text buffer. */
struct buf {
	char *p;
	size_t len, cap;
};
void bprintf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bputs(struct buf *b, const char *s);

/* "writeLine" -> "WRITE_LINE", "HTTPServer" -> "HTTP_SERVER". */
char *upper_snake(const char *name);
/* `s[0..len)` as a C string literal (quotes included, every unusual byte
 * escaped in octal). */
char *c_string(const char *s, size_t len);
/* A doc comment, re-indented as a C comment block at `indent`; "" if none. */
void emit_doc(struct buf *b, const char *doc, const char *indent);
/* An unsigned literal for a scalar of `bits` width: "0", "0x2au", "0x...ull". */
char *c_uint(uint64_t v, unsigned bits);

/* ------------------------------------------------------------------ emit_*.c */

/* What is being generated for one requested file. */
struct gen {
	const struct request *req;
	struct node *file;
	const char *prefix;  /* "capos" */
	const char *uprefix; /* "CAPOS" */
	struct buf types;    /* header part 1: types, constants, declarations */
	struct buf funcs;    /* header part 2: inline accessors */
	struct buf src;      /* the .c file body */
	uint32_t ninterfaces;
	struct buf iface_table; /* entries of <prefix>_interfaces[] */
};

/* Size in bits of a scalar type (0 for void and pointers). */
unsigned type_bits(enum tkind k);
bool type_is_pointer(enum tkind k);

void emit_struct(struct gen *g, struct node *n);
void emit_enum(struct gen *g, struct node *n);
void emit_interface(struct gen *g, struct node *n);
void emit_const(struct gen *g, struct node *n);
void emit_interface_table(struct gen *g);

/* Copy the pointer held by `value` (a schema Value) into a one-segment
 * constant whose word 0 points at it; emit it into g->src as
 * `const struct capn_segment <name>` and declare it in g->types. False when
 * the pointer is null. */
bool emit_segment(struct gen *g, capn_struct_r value, const char *name);

#endif /* CAPNPC_C_CAPNPC_H */
