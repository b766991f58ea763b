/*
 * schema_capnp.h - hand-written readers for the parts of capnp/schema.capnp
 * (the CodeGeneratorRequest a `capnp compile` plugin reads on stdin) that
 * capnpc-c uses.
 *
 * This is the bootstrap: the generator cannot generate its own input's
 * accessors, so the offsets below are copied by hand from the layout capnp
 * itself prints for schema.capnp. To re-check them, run
 *
 *   capnp compile -ocapnp /usr/include/capnp/schema.capnp
 *
 * and compare: `bits[a, b)` is a data-section bit range (byte offset a/8,
 * which is what the capn_get_* calls take; bools take the bit offset a) and
 * `ptr[n]` is pointer index n. The layout of schema.capnp is frozen by
 * Cap'n Proto's compatibility rules, so these never change, only grow.
 * tests/unit/test_capnpc_features.c reads a request through the accessors
 * generated from schema.capnp itself and compares the two.
 */
#ifndef CAPNPC_C_SCHEMA_CAPNP_H
#define CAPNPC_C_SCHEMA_CAPNP_H

#include "capn.h"

/* ---- CodeGeneratorRequest (0 bytes, 4 ptrs) */
static inline capn_list_r req_nodes(capn_struct_r s) { return capn_get_list(s, 0, CAPN_LIST_STRUCT, NULL); }
static inline capn_list_r req_requested_files(capn_struct_r s) { return capn_get_list(s, 1, CAPN_LIST_STRUCT, NULL); }
static inline capn_list_r req_source_info(capn_struct_r s) { return capn_get_list(s, 3, CAPN_LIST_STRUCT, NULL); }

/* ---- CodeGeneratorRequest.RequestedFile (8 bytes, 2 ptrs) */
static inline uint64_t rfile_id(capn_struct_r s) { return capn_get_u64(s, 0, 0); }            /* bits[0, 64) */
static inline capn_text rfile_filename(capn_struct_r s) { return capn_get_text(s, 0, NULL, 0); } /* ptr[0] */
static inline capn_list_r rfile_imports(capn_struct_r s) { return capn_get_list(s, 1, CAPN_LIST_STRUCT, NULL); }

/* ---- CodeGeneratorRequest.RequestedFile.Import (8 bytes, 1 ptr) */
static inline uint64_t import_id(capn_struct_r s) { return capn_get_u64(s, 0, 0); }
static inline capn_text import_name(capn_struct_r s) { return capn_get_text(s, 0, NULL, 0); }

/* ---- Node (40 bytes, 6 ptrs) */
enum { NODE_FILE = 0, NODE_STRUCT = 1, NODE_ENUM = 2, NODE_INTERFACE = 3, NODE_CONST = 4,
       NODE_ANNOTATION = 5 }; /* union tag bits [96, 112) */
static inline uint64_t node_id(capn_struct_r s) { return capn_get_u64(s, 0, 0); }              /* bits[0, 64) */
static inline capn_text node_display_name(capn_struct_r s) { return capn_get_text(s, 0, NULL, 0); } /* ptr[0] */
static inline uint64_t node_scope_id(capn_struct_r s) { return capn_get_u64(s, 16, 0); }       /* bits[128, 192) */
static inline capn_list_r node_nested_nodes(capn_struct_r s) { return capn_get_list(s, 1, CAPN_LIST_STRUCT, NULL); } /* ptr[1] */
static inline uint16_t node_which(capn_struct_r s) { return capn_get_u16(s, 12, 0); }
/* struct group */
static inline uint16_t node_struct_data_words(capn_struct_r s) { return capn_get_u16(s, 14, 0); }   /* bits[112, 128) */
static inline uint16_t node_struct_ptr_count(capn_struct_r s) { return capn_get_u16(s, 24, 0); }    /* bits[192, 208) */
static inline bool node_struct_is_group(capn_struct_r s) { return capn_get_bool(s, 224, false); }   /* bits[224, 225) */
static inline uint16_t node_struct_disc_count(capn_struct_r s) { return capn_get_u16(s, 30, 0); }  /* bits[240, 256) */
static inline uint32_t node_struct_disc_offset(capn_struct_r s) { return capn_get_u32(s, 32, 0); } /* bits[256, 288) */
static inline capn_list_r node_struct_fields(capn_struct_r s) { return capn_get_list(s, 3, CAPN_LIST_STRUCT, NULL); } /* ptr[3] */
/* enum group */
static inline capn_list_r node_enum_enumerants(capn_struct_r s) { return capn_get_list(s, 3, CAPN_LIST_STRUCT, NULL); } /* ptr[3] */
/* interface group */
static inline capn_list_r node_interface_methods(capn_struct_r s) { return capn_get_list(s, 3, CAPN_LIST_STRUCT, NULL); } /* ptr[3] */
/* const group: type ptr[3], value ptr[4] */
static inline capn_struct_r node_const_type(capn_struct_r s) { return capn_get_struct(s, 3, NULL); }
static inline capn_struct_r node_const_value(capn_struct_r s) { return capn_get_struct(s, 4, NULL); }

/* ---- Node.NestedNode (8 bytes, 1 ptr) */
static inline capn_text nested_name(capn_struct_r s) { return capn_get_text(s, 0, NULL, 0); } /* ptr[0] */
static inline uint64_t nested_id(capn_struct_r s) { return capn_get_u64(s, 0, 0); }        /* bits[0, 64) */

/* ---- Node.SourceInfo (8 bytes, 2 ptrs) and its Member (0 bytes, 1 ptr) */
static inline uint64_t srcinfo_id(capn_struct_r s) { return capn_get_u64(s, 0, 0); }
static inline capn_text srcinfo_doc(capn_struct_r s) { return capn_get_text(s, 0, NULL, 0); }
static inline capn_list_r srcinfo_members(capn_struct_r s) { return capn_get_list(s, 1, CAPN_LIST_STRUCT, NULL); }
static inline capn_text member_doc(capn_struct_r s) { return capn_get_text(s, 0, NULL, 0); }

/* ---- Field (24 bytes, 4 ptrs) */
#define FIELD_NO_DISCRIMINANT 0xffffu
enum { FIELD_SLOT = 0, FIELD_GROUP = 1 }; /* union tag bits [64, 80) */
static inline capn_text field_name(capn_struct_r s) { return capn_get_text(s, 0, NULL, 0); } /* ptr[0] */
static inline uint16_t field_code_order(capn_struct_r s) { return capn_get_u16(s, 0, 0); }   /* bits[0, 16) */
static inline uint16_t field_disc_value(capn_struct_r s) { return capn_get_u16(s, 2, 0xffff); } /* bits[16, 32) = 65535 */
static inline uint16_t field_which(capn_struct_r s) { return capn_get_u16(s, 8, 0); }
static inline uint32_t field_slot_offset(capn_struct_r s) { return capn_get_u32(s, 4, 0); }  /* bits[32, 64) */
static inline capn_struct_r field_slot_type(capn_struct_r s) { return capn_get_struct(s, 2, NULL); }  /* ptr[2] */
static inline capn_struct_r field_slot_default(capn_struct_r s) { return capn_get_struct(s, 3, NULL); } /* ptr[3] */
static inline bool field_slot_had_default(capn_struct_r s) { return capn_get_bool(s, 128, false); } /* bits[128, 129) */
static inline uint64_t field_group_type_id(capn_struct_r s) { return capn_get_u64(s, 16, 0); }  /* bits[128, 192) */

/* ---- Enumerant (8 bytes, 2 ptrs) */
static inline capn_text enumerant_name(capn_struct_r s) { return capn_get_text(s, 0, NULL, 0); }
static inline uint16_t enumerant_code_order(capn_struct_r s) { return capn_get_u16(s, 0, 0); }

/* ---- Method (24 bytes, 5 ptrs) */
static inline capn_text method_name(capn_struct_r s) { return capn_get_text(s, 0, NULL, 0); }
static inline uint16_t method_code_order(capn_struct_r s) { return capn_get_u16(s, 0, 0); }
static inline uint64_t method_param_type(capn_struct_r s) { return capn_get_u64(s, 8, 0); }   /* bits[64, 128) */
static inline uint64_t method_result_type(capn_struct_r s) { return capn_get_u64(s, 16, 0); } /* bits[128, 192) */

/* ---- Type (24 bytes, 1 ptr): union tag bits [0, 16), tags 0..18 in the
 * order of enum tkind (capnpc.h). */
static inline uint16_t type_which(capn_struct_r s) { return capn_get_u16(s, 0, 0); }
static inline capn_struct_r type_list_elem(capn_struct_r s) { return capn_get_struct(s, 0, NULL); } /* ptr[0] */
static inline uint64_t type_type_id(capn_struct_r s) { return capn_get_u64(s, 8, 0); } /* enum/struct/interface: bits[64, 128) */
/* anyPointer: union tag bits [64, 80): 0 unconstrained, 1 parameter, 2 implicitMethodParameter;
 * unconstrained: union tag bits [80, 96): 0 anyKind, 1 struct, 2 list, 3 capability. */
static inline uint16_t type_anyptr_which(capn_struct_r s) { return capn_get_u16(s, 8, 0); }
static inline uint16_t type_anyptr_unconstrained(capn_struct_r s) { return capn_get_u16(s, 10, 0); }

/* ---- Value (16 bytes, 1 ptr): union tag bits [0, 16) */
static inline uint16_t value_which(capn_struct_r s) { return capn_get_u16(s, 0, 0); }
static inline bool value_bool(capn_struct_r s) { return capn_get_bool(s, 16, false); }   /* bits[16, 17) */
static inline uint8_t value_u8(capn_struct_r s) { return capn_get_u8(s, 2, 0); }         /* int8/uint8: bits[16, 24) */
static inline uint16_t value_u16(capn_struct_r s) { return capn_get_u16(s, 2, 0); }      /* int16/uint16/enum: bits[16, 32) */
static inline uint32_t value_u32(capn_struct_r s) { return capn_get_u32(s, 4, 0); }      /* int32/uint32/float32: bits[32, 64) */
static inline uint64_t value_u64(capn_struct_r s) { return capn_get_u64(s, 8, 0); }      /* int64/uint64/float64: bits[64, 128) */
/* text, data, list, struct and anyPointer are all ptr[0] */
#define VALUE_PTR 0

#endif /* CAPNPC_C_SCHEMA_CAPNP_H */
