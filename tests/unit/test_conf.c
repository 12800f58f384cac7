/* Configuration values, flags and environment variables. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "defaults.h"
#include "tap.h"

static void
test_size(void)
{
	uint64_t	v = 0;

	ok(conf_parse_size("16", 1, 100, &v) && v == 16, "plain number");
	ok(conf_parse_size("8k", 1, UINT64_MAX, &v) && v == 8192, "k suffix");
	ok(conf_parse_size("2M", 1, UINT64_MAX, &v) && v == 2097152, "M suffix");
	ok(!conf_parse_size("1G", 1, UINT64_MAX, &v), "no G suffix: no size option reaches 1 GiB");
	ok(!conf_parse_size("", 0, 10, &v), "empty refused");
	ok(!conf_parse_size("-1", 0, 10, &v), "sign refused");
	ok(!conf_parse_size("+1", 0, 10, &v), "plus refused");
	ok(!conf_parse_size("1x", 0, 10, &v), "junk suffix refused");
	ok(!conf_parse_size("1kk", 0, UINT64_MAX, &v), "double suffix refused");
	ok(!conf_parse_size("99999999999999999999", 0, UINT64_MAX, &v), "overflow refused");
	ok(!conf_parse_size("17592186044416M", 0, UINT64_MAX, &v), "suffix overflow refused");
	ok(!conf_parse_size("11", 0, 10, &v), "over max refused");
	ok(!conf_parse_size("0", 1, 10, &v), "under min refused");
	ok(!conf_parse_size(" 1", 0, 10, &v), "leading space refused");
}

static void
test_small(void)
{
	unsigned	u = 0;

	ok(conf_parse_uint("4", 1, 8, &u) && u == 4, "uint");
	ok(!conf_parse_uint("4k", 1, 100000, &u), "no suffix for counts");
	ok(conf_parse_mode("0666", &u) && u == 0666, "mode 0666");
	ok(conf_parse_mode("660", &u) && u == 0660, "mode 660");
	ok(!conf_parse_mode("0888", &u), "non-octal refused");
	ok(!conf_parse_mode("17777", &u), "too long refused");
	ok(!conf_parse_mode("", &u), "empty mode refused");
	ok(conf_base_path_valid("/engine-rest"), "default base path");
	ok(conf_base_path_valid(""), "empty base path");
	ok(conf_base_path_valid("/a/b"), "nested base path");
	ok(!conf_base_path_valid("engine-rest"), "relative refused");
	ok(!conf_base_path_valid("/engine-rest/"), "trailing slash refused");
	ok(!conf_base_path_valid("/a//b"), "double slash refused");
	ok(!conf_base_path_valid("/a%2Fb"), "percent refused");
	ok(!conf_base_path_valid("/a b"), "space refused");
}

/*
 * getopt wants writable strings; the literals are copied into one of eight
 * arrays, used in turn (what an array held before is freed).
 */
static char **
args(const char **src)
{
	static char	*store[8][8];
	static int	 next;
	char		**dst = store[next++ % 8];
	int		 i;

	for (i = 0; dst[i] != NULL; i++)
		free(dst[i]);
	for (i = 0; src[i] != NULL && i < 7; i++)
		dst[i] = strdup(src[i]);
	dst[i] = NULL;
	return dst;
}

static void
test_load(void)
{
	struct vd_conf	 c;
	char		 err[256];
	char		**argv1 = args((const char *[]){ "vardata", "--workers", "3", "--max-parts=5",
	    "--base-path", "", "--no-prepare", NULL });
	char		**argv2 = args((const char *[]){ "vardata", "--max-parts", "0", NULL });
	char		**argv3 = args((const char *[]){ "vardata", "--bogus", NULL });
	char		**argv4 = args((const char *[]){ "vardata", NULL });

	setenv("VARDATA_WORKERS", "7", 1);
	setenv("VARDATA_MAX_PART_HEADER", "16k", 1);
	setenv("VARDATA_SECCOMP", "yes", 1);
	is_int(conf_load(&c, 7, argv1, err, sizeof(err)), CONF_OK, "flags load");
	is_int(c.workers, 3, "the command line wins over the environment");
	is_int(c.limits.max_parts, 5, "--opt=value form");
	is_str(c.base_path, "", "empty base path accepted");
	ok(c.no_prepare, "boolean flag");
	is_int(c.limits.max_part_header, 16384, "limit from the environment");
	ok(c.seccomp, "boolean from the environment");
	is_int(c.limits.max_body, VD_DEFAULT_MAX_BODY, "default body limit");
	is_int(conf_load(&c, 3, argv2, err, sizeof(err)), CONF_ERROR, "zero parts refused");
	is_int(conf_load(&c, 2, argv3, err, sizeof(err)), CONF_ERROR, "unknown flag refused");
	setenv("VARDATA_MAX_BODY", "2048M", 1);
	is_int(conf_load(&c, 1, argv4, err, sizeof(err)), CONF_ERROR, "bad environment value refused");
	unsetenv("VARDATA_MAX_BODY");
	is_int(conf_load(&c, 1, argv4, err, sizeof(err)), CONF_OK, "environment alone");
	is_int(c.workers, 7, "workers from the environment");
	is_int(c.pipeline, VD_DEFAULT_PIPELINE, "default pipeline depth");
}

static void
test_pipeline(void)
{
	struct vd_conf	 c;
	char		 err[256];
	char		**one = args((const char *[]){ "vardata", "--pipeline", "1", NULL });
	char		**most = args((const char *[]){ "vardata", "--pipeline=256", NULL });
	char		**zero = args((const char *[]){ "vardata", "--pipeline", "0", NULL });
	char		**over = args((const char *[]){ "vardata", "--pipeline", "257", NULL });

	unsetenv("VARDATA_WORKERS");
	is_int(conf_load(&c, 3, one, err, sizeof(err)), CONF_OK, "--pipeline 1 (one request at a time)");
	is_int(c.pipeline, 1, "pipeline depth 1");
	is_int(conf_load(&c, 2, most, err, sizeof(err)), CONF_OK, "--pipeline at its maximum");
	is_int(c.pipeline, VD_MAX_PIPELINE, "pipeline depth 256");
	is_int(conf_load(&c, 3, zero, err, sizeof(err)), CONF_ERROR, "--pipeline 0 refused");
	is_int(conf_load(&c, 3, over, err, sizeof(err)), CONF_ERROR, "--pipeline over 256 refused");
}

/* The environment only fills in what the command line left out, and only that is checked. */
static void
test_precedence(void)
{
	struct vd_conf	 c;
	char		 err[256];
	char		**workers = args((const char *[]){ "vardata", "--workers", "2", NULL });
	char		**seccomp = args((const char *[]){ "vardata", "--seccomp", NULL });
	char		**none = args((const char *[]){ "vardata", NULL });
	char		**parts = args((const char *[]){ "vardata", "--max-parts", "1k", NULL });
	char		**filename = args((const char *[]){ "vardata", "--max-filename=2k", NULL });

	unsetenv("VARDATA_SECCOMP");
	setenv("VARDATA_WORKERS", "many", 1);
	is_int(conf_load(&c, 3, workers, err, sizeof(err)), CONF_OK,
	    "a bad VARDATA_WORKERS is no error when --workers is given");
	is_int(c.workers, 2, "--workers taken");
	is_int(conf_load(&c, 1, none, err, sizeof(err)), CONF_ERROR, "a bad VARDATA_WORKERS alone is");
	ok(strstr(err, "VARDATA_WORKERS") != NULL, "the error names the variable");
	unsetenv("VARDATA_WORKERS");
	setenv("VARDATA_SECCOMP", "enabled", 1);
	is_int(conf_load(&c, 1, none, err, sizeof(err)), CONF_ERROR,
	    "VARDATA_SECCOMP=enabled refused, not read as off");
	ok(strstr(err, "VARDATA_SECCOMP") != NULL, "... and the error names the variable");
	is_int(conf_load(&c, 2, seccomp, err, sizeof(err)), CONF_OK, "--seccomp given: the variable is not read");
	ok(c.seccomp, "--seccomp on");
	setenv("VARDATA_SECCOMP", "Off", 1);
	is_int(conf_load(&c, 1, none, err, sizeof(err)), CONF_OK, "VARDATA_SECCOMP=Off");
	ok(!c.seccomp, "... leaves the filter off");
	setenv("VARDATA_SECCOMP", "", 1);
	is_int(conf_load(&c, 1, none, err, sizeof(err)), CONF_OK, "VARDATA_SECCOMP empty is off");
	setenv("VARDATA_SECCOMP", "ON", 1);
	is_int(conf_load(&c, 1, none, err, sizeof(err)), CONF_OK, "VARDATA_SECCOMP=ON");
	ok(c.seccomp, "... turns it on");
	unsetenv("VARDATA_SECCOMP");
	is_int(conf_load(&c, 3, parts, err, sizeof(err)), CONF_ERROR, "--max-parts is a count: no suffix");
	is_int(conf_load(&c, 2, filename, err, sizeof(err)), CONF_ERROR, "--max-filename is a count: no suffix");
}

int
main(void)
{
	test_size();
	test_small();
	test_load();
	test_pipeline();
	test_precedence();
	return done_testing();
}
