#ifndef TM_VERSION_H
#define TM_VERSION_H
/* The git revision is in tm_gitrev.h, written at build time. */
#define TM_VERSION "0.1.0"
#endif
