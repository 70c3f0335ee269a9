/* Forwarder: the code is ../cortex-m-common/vectors.c (shared by every Cortex-M target).
 * Kept only because ../c-reference/Makefile builds its M4 bench from this path;
 * delete once that Makefile compiles ../cortex-m-common/vectors.c directly. */
#include "../cortex-m-common/vectors.c"
