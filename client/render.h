/* Human-readable renderings: --list, --dry-run, --verbose. */
#ifndef SYMBI_CLIENT_RENDER_H
#define SYMBI_CLIENT_RENDER_H

#include <stdio.h>

#include "shared/proto.h"

/* What the policy grants, like `sudo -l`. */
void render_listing(FILE *f, const struct listing *l);

/* The decision for --dry-run, allowed or denied. */
void render_dry_run(FILE *f, const struct verdict *v);

/* One line, for --verbose before the job runs. */
void render_summary(FILE *f, const struct verdict *v);

#endif
