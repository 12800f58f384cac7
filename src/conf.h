/*
 * Configuration: command-line flags, each also read from an environment
 * variable VARDATA_<FLAG> (upper case, '-' as '_').  A flag on the command
 * line wins over the environment.  The value parsers are pure so the unit
 * tests and the fuzz harness can call them.
 */
#ifndef VD_CONF_H
#define VD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct vd_limits {
	uint64_t	max_body;	/* --max-body */
	size_t		max_parts;	/* --max-parts */
	size_t		max_part_header;/* --max-part-header */
	size_t		max_filename;	/* --max-filename (characters) */
	size_t		max_field;	/* --max-field */
	size_t		max_json;	/* --max-json */
};

struct vd_conf {
	const char	*db;		/* --db: libpq connection string, "" for libpq's defaults */
	const char	*listen;	/* --listen: "unix:/path" or "HOST:PORT"; NULL: fd 0 */
	unsigned	 workers;	/* --workers */
	const char	*base_path;	/* --base-path */
	unsigned	 socket_mode;	/* --socket-mode */
	const char	*user;		/* --user: drop privileges to this user */
	const char	*spool_dir;	/* --spool-dir: where large uploads wait for their COPY; NULL: the default */
	bool		 allow_root;	/* --allow-root */
	bool		 seccomp;	/* --seccomp */
	bool		 no_prepare;	/* --no-prepare: unnamed statements only (PgBouncer transaction pooling) */
	unsigned	 shutdown_timeout;	/* --shutdown-timeout, seconds */
	unsigned	 pipeline;	/* --pipeline: requests a worker has open at once */
	struct vd_limits limits;
};

enum conf_result {
	CONF_OK,	/* run the service */
	CONF_EXIT,	/* --help or --version printed: exit 0 */
	CONF_ERROR	/* the message is in errbuf: exit 2 */
};

/* Fills conf from argv and the environment (envp-style lookup through getenv). */
enum conf_result conf_load(struct vd_conf *conf, int argc, char *argv[], char *errbuf, size_t errsz);
void		 conf_defaults(struct vd_conf *conf);

/*
 * Pure value parsers.  Sizes take a decimal number with an optional suffix
 * k or M (powers of 1024; no size option reaches 1 GiB, so there is no G),
 * counts take none; all refuse signs, junk and overflow and check the
 * range [min, max].
 */
bool	conf_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);
bool	conf_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out);
bool	conf_parse_mode(const char *s, unsigned *out);	/* octal, at most 0777 */
/* "/engine-rest", "" or "/a/b": starts with '/', no trailing '/', no "//", no '?', '%' or '#'. */
bool	conf_base_path_valid(const char *s);

#endif
