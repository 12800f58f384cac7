#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "defaults.h"
#include "text.h"

/*
 * The options, in one table so that the command line, the environment and
 * --help can never disagree.
 */
enum opt_id {
	OPT_DB = 1, OPT_LISTEN, OPT_WORKERS, OPT_BASE_PATH, OPT_SOCKET_MODE, OPT_USER,
	OPT_ALLOW_ROOT, OPT_SPOOL_DIR, OPT_SECCOMP, OPT_NO_PREPARE, OPT_SHUTDOWN_TIMEOUT, OPT_PIPELINE, OPT_MAX_BODY,
	OPT_MAX_PARTS, OPT_MAX_PART_HEADER, OPT_MAX_FILENAME, OPT_MAX_FIELD, OPT_MAX_JSON,
	OPT_HELP, OPT_VERSION
};

struct opt_def {
	const char	*name;		/* long option; env is VARDATA_ + upper(name) */
	enum opt_id	 id;
	int		 has_arg;
	const char	*help;
};

static const struct opt_def opts[] = {
	{ "db", OPT_DB, 1, "CONNINFO  libpq connection string (default: libpq's defaults)" },
	{ "listen", OPT_LISTEN, 1, "ADDR      unix:/path or HOST:PORT (default: the socket on fd 0)" },
	{ "workers", OPT_WORKERS, 1, "N         worker processes (default: number of CPUs)" },
	{ "base-path", OPT_BASE_PATH, 1, "PATH      URL prefix (default " VD_DEFAULT_BASE_PATH ", may be empty)" },
	{ "socket-mode", OPT_SOCKET_MODE, 1, "MODE      octal mode of a unix socket (default 0660)" },
	{ "user", OPT_USER, 1, "NAME      drop privileges to this user after binding" },
	{ "allow-root", OPT_ALLOW_ROOT, 0, "          allow serving as root" },
	{ "spool-dir", OPT_SPOOL_DIR, 1, "DIR       large uploads wait here for their COPY (default $TMPDIR or /var/tmp; /var/tmp with --user)" },
	{ "seccomp", OPT_SECCOMP, 0, "          confine workers with a seccomp filter" },
	{ "no-prepare", OPT_NO_PREPARE, 0, "          no named prepared statements (PgBouncer transaction pooling)" },
	{ "shutdown-timeout", OPT_SHUTDOWN_TIMEOUT, 1, "SECONDS   grace period for requests in flight on SIGTERM (default 30)" },
	{ "pipeline", OPT_PIPELINE, 1, "N         requests a worker has open at once, pipelined (default 16)" },
	{ "max-body", OPT_MAX_BODY, 1, "BYTES     request body limit (default 1073741823)" },
	{ "max-parts", OPT_MAX_PARTS, 1, "N         parts in a multipart body (default 16)" },
	{ "max-part-header", OPT_MAX_PART_HEADER, 1, "BYTES     header block of one part (default 8192)" },
	{ "max-filename", OPT_MAX_FILENAME, 1, "CHARS     filename length (default 4000)" },
	{ "max-field", OPT_MAX_FIELD, 1, "BYTES     a text form field such as valueType (default 4096)" },
	{ "max-json", OPT_MAX_JSON, 1, "BYTES     a value of the deprecated type + JSON form (default 4M)" },
	{ "help", OPT_HELP, 0, "          print this help" },
	{ "version", OPT_VERSION, 0, "          print the version" },
};
#define NOPTS	(sizeof(opts) / sizeof(opts[0]))

void
conf_defaults(struct vd_conf *conf)
{
	long	ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	memset(conf, 0, sizeof(*conf));
	conf->db = "";
	conf->workers = ncpu > 0 && ncpu <= VD_MAX_WORKERS ? (unsigned)ncpu : 1;
	conf->base_path = VD_DEFAULT_BASE_PATH;
	conf->socket_mode = VD_DEFAULT_SOCKET_MODE;
	conf->shutdown_timeout = VD_DEFAULT_SHUTDOWN_TIMEOUT;
	conf->pipeline = VD_DEFAULT_PIPELINE;
	conf->limits.max_body = VD_DEFAULT_MAX_BODY;
	conf->limits.max_parts = VD_DEFAULT_MAX_PARTS;
	conf->limits.max_part_header = VD_DEFAULT_MAX_PART_HEADER;
	conf->limits.max_filename = VD_DEFAULT_MAX_FILENAME;
	conf->limits.max_field = VD_DEFAULT_MAX_FIELD;
	conf->limits.max_json = VD_DEFAULT_MAX_JSON;
}

bool
conf_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t	v, mul = 1;
	const char	*p = s;

	if (s == NULL || !text_decimal(&p, &v))
		return false;
	switch (*p) {
	case '\0':
		break;
	case 'k': case 'K':
		mul = 1024;
		break;
	case 'm': case 'M':
		mul = 1024 * 1024;
		break;
	default:
		return false;
	}
	if (*p != '\0' && p[1] != '\0')
		return false;
	if (v > UINT64_MAX / mul)
		return false;
	v *= mul;
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool
conf_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	uint64_t	v;

	/* No suffixes for counts: "16k workers" is a typo, not a wish. */
	if (s == NULL || strpbrk(s, "kKmMgG") != NULL)
		return false;
	if (!conf_parse_size(s, min, max, &v))
		return false;
	*out = (unsigned)v;
	return true;
}

bool
conf_parse_mode(const char *s, unsigned *out)
{
	unsigned	v = 0;
	const char	*p;

	if (s == NULL || *s == '\0' || strlen(s) > 4)
		return false;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '7')
			return false;
		v = v * 8 + (unsigned)(*p - '0');
	}
	if (v > 0777)
		return false;
	*out = v;
	return true;
}

bool
conf_base_path_valid(const char *s)
{
	const char	*p;

	if (s == NULL)
		return false;
	if (*s == '\0')
		return true;
	if (*s != '/' || s[strlen(s) - 1] == '/')
		return false;
	for (p = s; *p != '\0'; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("?#%\\", *p) != NULL)
			return false;
		if (p[0] == '/' && p[1] == '/')
			return false;
	}
	return true;
}

static void
usage(FILE *f, const char *prog)
{
	size_t	i;

	fprintf(f, "usage: %s [options]\n\n", prog);
	for (i = 0; i < NOPTS; i++)
		fprintf(f, "  %s--%-17s %s\n", opts[i].id == OPT_HELP ? "-h, " : "    ", opts[i].name,
		    opts[i].help);
	fprintf(f, "\nEvery option can also be set with VARDATA_<OPTION> "
	    "(upper case, '-' as '_'); the command line wins.\n");
}

static const char *
opt_name(enum opt_id id)
{
	size_t	i;

	for (i = 0; i < NOPTS; i++)
		if (opts[i].id == id)
			return opts[i].name;
	return "?";
}

/*
 * Applies one option value; false with errbuf filled on a bad value.  One
 * flat case per option, each with its own range, hence the length.
 */
static bool
conf_apply(struct vd_conf *conf, enum opt_id id, const char *val, char *errbuf, size_t errsz)
{
	struct vd_limits	*l = &conf->limits;
	uint64_t		 v = 0;
	unsigned		 u = 0;
	bool			 good = true;

	switch (id) {
	case OPT_DB:
		conf->db = val;
		break;
	case OPT_LISTEN:
		conf->listen = val;
		break;
	case OPT_WORKERS:
		good = conf_parse_uint(val, 1, VD_MAX_WORKERS, &conf->workers);
		break;
	case OPT_BASE_PATH:
		conf->base_path = val;
		good = conf_base_path_valid(val);
		break;
	case OPT_SOCKET_MODE:
		good = conf_parse_mode(val, &conf->socket_mode);
		break;
	case OPT_USER:
		conf->user = val;
		good = *val != '\0';
		break;
	case OPT_ALLOW_ROOT:
		conf->allow_root = true;
		break;
	case OPT_SPOOL_DIR:
		conf->spool_dir = val;
		good = *val == '/';
		break;
	case OPT_SECCOMP:
		conf->seccomp = true;
		break;
	case OPT_NO_PREPARE:
		conf->no_prepare = true;
		break;
	case OPT_SHUTDOWN_TIMEOUT:
		good = conf_parse_uint(val, 0, 3600, &conf->shutdown_timeout);
		break;
	case OPT_PIPELINE:
		good = conf_parse_uint(val, 1, VD_MAX_PIPELINE, &conf->pipeline);
		break;
	case OPT_MAX_BODY:
		good = conf_parse_size(val, 1, VD_DEFAULT_MAX_BODY, &l->max_body);
		break;
	case OPT_MAX_PARTS:
		good = conf_parse_uint(val, 1, 10000, &u);
		l->max_parts = u;
		break;
	case OPT_MAX_PART_HEADER:
		good = conf_parse_size(val, 64, 1024 * 1024, &v);
		l->max_part_header = (size_t)v;
		break;
	case OPT_MAX_FILENAME:
		good = conf_parse_uint(val, 1, VD_DEFAULT_MAX_FILENAME, &u);
		l->max_filename = u;
		break;
	case OPT_MAX_FIELD:
		good = conf_parse_size(val, 64, 1024 * 1024, &v);
		l->max_field = (size_t)v;
		break;
	case OPT_MAX_JSON:
		good = conf_parse_size(val, 2, 256 * 1024 * 1024, &v);
		l->max_json = (size_t)v;
		break;
	case OPT_HELP:
	case OPT_VERSION:
		break;
	}
	if (!good)
		snprintf(errbuf, errsz, "invalid value for --%s: \"%s\"", opt_name(id), val);
	return good;
}

/* The environment variable of an option: VARDATA_MAX_PART_HEADER for "max-part-header". */
static const char *
conf_env(const char *name, char *key, size_t keysz)
{
	size_t	n = (size_t)snprintf(key, keysz, "VARDATA_");

	for (; *name != '\0' && n < keysz - 1; name++)
		key[n++] = *name == '-' ? '_' : (char)toupper((unsigned char)*name);
	key[n] = '\0';
	return getenv(key);
}

/*
 * A flag in the environment: 1 if on, 0 if off, -1 for anything else, which
 * is refused rather than read as off (VARDATA_SECCOMP=enabled must not
 * leave the filter out without a word).
 */
static int
conf_env_flag(const char *v)
{
	static const char *const on[] = { "1", "true", "yes", "on" };
	static const char *const off[] = { "", "0", "false", "no", "off" };
	size_t			 i;

	for (i = 0; i < sizeof(on) / sizeof(on[0]); i++)
		if (strcasecmp(v, on[i]) == 0)
			return 1;
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++)
		if (strcasecmp(v, off[i]) == 0)
			return 0;
	return -1;
}

/* Options not given on the command line (given[], by option id) from the environment. */
static bool
conf_load_env(struct vd_conf *conf, const bool *given, char *errbuf, size_t errsz)
{
	const char	*v;
	char		 key[64];
	size_t		 i;
	int		 flag;

	for (i = 0; i < NOPTS; i++) {
		if (opts[i].id == OPT_HELP || opts[i].id == OPT_VERSION || given[opts[i].id])
			continue;
		if ((v = conf_env(opts[i].name, key, sizeof(key))) == NULL)
			continue;
		if (!opts[i].has_arg && (flag = conf_env_flag(v)) != 1) {
			if (flag == 0)
				continue;
			snprintf(errbuf, errsz, "invalid value for %s: \"%s\" (1, true, yes, on; "
			    "0, false, no, off)", key, v);
			return false;
		}
		if (!conf_apply(conf, opts[i].id, v, errbuf, errsz)) {
			snprintf(errbuf, errsz, "invalid value for %s: \"%s\"", key, v);
			return false;
		}
	}
	return true;
}

enum conf_result
conf_load(struct vd_conf *conf, int argc, char *argv[], char *errbuf, size_t errsz)
{
	struct option	longopts[NOPTS + 1];
	bool		given[OPT_VERSION + 1] = { false };
	size_t		i;
	int		c;

	conf_defaults(conf);
	memset(longopts, 0, sizeof(longopts));
	for (i = 0; i < NOPTS; i++) {
		longopts[i].name = opts[i].name;
		longopts[i].has_arg = opts[i].has_arg ? required_argument : no_argument;
		longopts[i].val = (int)opts[i].id;
	}
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h' || c == OPT_HELP) {
			usage(stdout, argv[0]);
			return CONF_EXIT;
		}
		if (c == OPT_VERSION) {
			printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			return CONF_EXIT;
		}
		if (c == '?' || c == ':') {
			snprintf(errbuf, errsz, "unknown option or missing value: %s "
			    "(see --help)", argv[optind - 1]);
			return CONF_ERROR;
		}
		if (!conf_apply(conf, (enum opt_id)c, optarg, errbuf, errsz))
			return CONF_ERROR;
		given[c] = true;
	}
	if (optind < argc) {
		snprintf(errbuf, errsz, "unexpected argument: %s", argv[optind]);
		return CONF_ERROR;
	}
	/* The command line wins: the environment only fills in what it left out, and is checked only for that. */
	return conf_load_env(conf, given, errbuf, errsz) ? CONF_OK : CONF_ERROR;
}
