/* Forwarder: the code is ../cortex-m-common/startup-m4f.S (shared by every
 * Cortex-M4F target). Kept only because ../c-reference/Makefile assembles its M4
 * bench from this path; delete once it uses ../cortex-m-common/startup-m4f.S. */
#include "../cortex-m-common/startup-m4f.S"
