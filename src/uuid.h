/* Random (version 4) UUIDs for new rows: they never collide with the engine's own ids. */
#ifndef VD_UUID_H
#define VD_UUID_H

#include <stdbool.h>

/* Writes "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" and a NUL into out. */
bool	uuid_v4(char out[37]);

#endif
