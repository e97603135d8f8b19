/* --help and --version texts of symbi-exec(1). */
#ifndef SYMBI_CLIENT_USAGE_H
#define SYMBI_CLIENT_USAGE_H

void usage_help(void);
void usage_version(void);

#endif
