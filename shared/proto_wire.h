/*
 * Internals shared by the proto*.c files: record framing and the field
 * checks both directions use. Not for the client or the helper.
 */
#ifndef SYMBI_PROTO_WIRE_H
#define SYMBI_PROTO_WIRE_H

#include <stdbool.h>

#include "shared/buf.h"
#include "shared/proto.h"

/* Start a record of type into out[cap]: header with a length to patch. */
void wire_begin(struct buf_writer *w, uint8_t *out, size_t cap, int type);
/* Patch the payload length; the record length, or 0 if anything failed. */
size_t wire_end(struct buf_writer *w);
/* Check the header for type and position r at the payload. */
bool wire_open(struct buf_reader *r, const uint8_t *msg, size_t len, int type);

void wire_put_limits(struct buf_writer *w, const struct limits *l);
void wire_get_limits(struct buf_reader *r, struct limits *l);
/* Only known bits; a set limit is never 0; an unset one is 0 on the wire,
 * so no stale value can be read by mistake. */
bool wire_limits_ok(const struct limits *l);
/* A flag byte: 0 or 1. */
bool wire_bool_ok(uint8_t b);

#endif
