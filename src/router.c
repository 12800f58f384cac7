/*
 * The request router.  The raw REQUEST_URI is split on '/' before anything
 * is decoded (RFC 3986 section 2.4), so an escaped slash ("%2F") stays part
 * of an id or a variable name, exactly as JAX-RS hands {id} and {name} to
 * Camunda's resources.  Literal segments ("task", "variables", "data", ...)
 * are compared with the raw bytes, case-sensitively, as JAX-RS matches its
 * @Path templates; only the id, the name and the engine name are decoded.
 *
 * Order of the answers, from the most general to the most particular:
 * a path that is not one of ours is VD_ERR_NO_ROUTE; one of ours under
 * "<base>/engine/<name>" with a name other than "default" is
 * VD_ERR_NO_ENGINE (whatever its id and name hold, since no engine could
 * answer it); then a bad escape or bad UTF-8 in the id or name is
 * VD_ERR_BAD_PATH.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "router.h"
#include "text.h"

/* The longest route: engine, <name>, scope, {id}, variables, {name}, data. */
#define ROUTE_MAX_SEGS	7

struct seg {
	const char	*s;
	size_t		 len;
};

/* The first segment of each route, and which variable collections hang below it. */
struct scope_def {
	const char	*lit;
	enum route_scope scope;
	bool		 vars;		/* /{id}/variables/{name}/data */
	bool		 local_vars;	/* /{id}/localVariables/{name}/data */
};

static const struct scope_def scope_defs[] = {
	{ "task",		SCOPE_TASK,		true,	true },
	{ "process-instance",	SCOPE_PROCESS_INSTANCE,	true,	false },
	{ "execution",		SCOPE_EXECUTION,	false,	true },
	{ "case-instance",	SCOPE_CASE_INSTANCE,	true,	false },
	{ "case-execution",	SCOPE_CASE_EXECUTION,	true,	true },
	{ "variable-instance",	SCOPE_VARIABLE_INSTANCE, false,	false },
};

static bool
seg_is(const struct seg *sg, const char *lit)
{
	size_t	n = strlen(lit);

	return sg->len == n && memcmp(sg->s, lit, n) == 0;
}

/* RFC 3986 section 3.3: "." and ".." are dot-segments, never names. */
static bool
seg_is_dot(const char *s, size_t len)
{
	return (len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.');
}

bool
pct_decode(const char *s, size_t len, char *out, size_t *outlen)
{
	size_t	i = 0, o = 0;
	int	hi, lo;
	bool	good = false;

	while (i < len) {
		if (s[i] == '\0')
			goto out;
		if (s[i] != '%') {
			out[o++] = s[i++];
			continue;
		}
		/* RFC 3986 section 2.1: '%' is always followed by two hex digits. */
		if (len - i < 3 || (hi = text_hexval((unsigned char)s[i + 1])) < 0 ||
		    (lo = text_hexval((unsigned char)s[i + 2])) < 0 || (hi | lo) == 0)
			goto out;
		out[o++] = (char)(hi << 4 | lo);
		i += 3;
	}
	good = true;
out:
	out[o] = '\0';
	*outlen = o;
	return good;
}

/*
 * Splits the path (which starts with '/') into its segments.  An empty
 * segment (a doubled slash, or a second trailing one) or a dot-segment
 * names nothing we serve, and neither does a path with more segments than
 * the longest route.
 */
static enum vd_err
split_path(const char *path, size_t len, struct seg *segs, size_t *nsegs)
{
	size_t		 n = 0, i = 1, start;
	enum vd_err	 err = VD_ERR_NO_ROUTE;

	while (i <= len) {
		start = i;
		while (i < len && path[i] != '/')
			i++;
		if (n == ROUTE_MAX_SEGS || i == start || seg_is_dot(path + start, i - start))
			goto out;
		segs[n].s = path + start;
		segs[n].len = i - start;
		n++;
		i++;
	}
	*nsegs = n;
	err = VD_OK;
out:
	return err;
}

/*
 * Matches the segments that follow the base (and the engine prefix) against
 * the routes.  Sets *id and *name to the segments to decode (name stays
 * NULL for /variable-instance).
 */
static enum vd_err
match_route(const struct seg *segs, size_t n, struct route *out, const struct seg **id,
    const struct seg **name)
{
	const struct scope_def	*d = NULL;
	size_t			 i;
	enum vd_err		 err = VD_ERR_NO_ROUTE;

	for (i = 0; n > 0 && i < sizeof(scope_defs) / sizeof(scope_defs[0]); i++)
		if (seg_is(&segs[0], scope_defs[i].lit))
			d = &scope_defs[i];
	if (d == NULL || !seg_is(&segs[n - 1], "data"))
		goto out;
	memset(out, 0, sizeof(*out));
	out->scope = d->scope;
	*id = &segs[1];
	*name = NULL;
	if (d->scope == SCOPE_VARIABLE_INSTANCE && n == 3) {
		out->allow = ROUTE_GET | ROUTE_HEAD;
		err = VD_OK;
	} else if (n == 5 && ((d->vars && seg_is(&segs[2], "variables")) ||
	    (d->local_vars && seg_is(&segs[2], "localVariables")))) {
		out->local = seg_is(&segs[2], "localVariables");
		out->allow = ROUTE_GET | ROUTE_HEAD | ROUTE_POST;
		*name = &segs[3];
		err = VD_OK;
	}
out:
	return err;
}

/*
 * The engine segment is a JAX-RS path parameter in Camunda, so it is
 * compared after decoding ("%64efault" is "default").  A name that does not
 * even decode cannot be an engine either.
 */
static bool
engine_is_default(const struct seg *engine, char *tmp)
{
	size_t	len;

	if (engine->len > 3 * strlen("default"))
		return false;
	return pct_decode(engine->s, engine->len, tmp, &len) && len == strlen("default") &&
	    memcmp(tmp, "default", len) == 0;
}

/*
 * Decodes one id or name segment into buf at *used.  Bad escapes and
 * invalid UTF-8 are the client's error (400); a segment that decodes to a
 * dot-segment is refused like the raw one, since a proxy that normalises
 * the path (nginx, Tomcat) would have removed it.
 */
static enum vd_err
decode_seg(const struct seg *sg, char *buf, size_t *used, const char **val, size_t *vallen)
{
	char		*dst = buf + *used;
	size_t		 len;
	enum vd_err	 err = VD_ERR_BAD_PATH;

	if (!pct_decode(sg->s, sg->len, dst, &len) || !utf8_valid(dst, len))
		goto out;
	err = VD_ERR_NO_ROUTE;
	if (seg_is_dot(dst, len))
		goto out;
	*val = dst;
	*vallen = len;
	*used += len + 1;
	err = VD_OK;
out:
	return err;
}

/*
 * Strips the base from uri and returns the path below it (up to the query)
 * in *path and *pathlen; the path always starts with '/'.  A trailing slash
 * of base is ignored, so "/" and "" are the same base.
 */
static enum vd_err
strip_base(const char *base, const char *uri, const char **path, size_t *pathlen)
{
	size_t		 blen = strlen(base), ulen;
	enum vd_err	 err = VD_ERR_NO_ROUTE;

	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	/* '#' never reaches a server (RFC 3986 section 3.5); if it does, it ends the path too. */
	ulen = strcspn(uri, "?#");
	if (ulen <= blen || memcmp(uri, base, blen) != 0 || uri[blen] != '/')
		goto out;
	*path = uri + blen;
	*pathlen = ulen - blen;
	err = VD_OK;
out:
	return err;
}

enum vd_err
route_parse(const char *base, const char *uri, char *buf, size_t bufsz, struct route *out)
{
	struct seg		 segs[ROUTE_MAX_SEGS];
	const struct seg	*rest = segs, *id, *name;
	const char		*path;
	size_t			 pathlen, n, used = 0;
	char			 engine[3 * sizeof("default")];
	enum vd_err		 err;

	if ((err = strip_base(base, uri, &path, &pathlen)) != VD_OK)
		goto out;
	/*
	 * One trailing slash names the same resource, as it does in Camunda:
	 * RESTEasy removes one from the path before matching, and Jersey's
	 * resource-method templates end in an optional "/".  A second slash
	 * is an empty segment, which neither matches.
	 */
	if (pathlen > 1 && path[pathlen - 1] == '/')
		pathlen--;
	if ((err = split_path(path, pathlen, segs, &n)) != VD_OK)
		goto out;
	if (n >= 2 && seg_is(&segs[0], "engine")) {
		rest = segs + 2;
		n -= 2;
	}
	if ((err = match_route(rest, n, out, &id, &name)) != VD_OK)
		goto out;
	err = VD_ERR_NO_ENGINE;
	if (rest != segs && !engine_is_default(&segs[1], engine))
		goto out;
	/* Each decoded segment is no longer than its raw form, plus its NUL. */
	err = VD_ERR_INTERNAL;
	if (bufsz < id->len + 1 + (name ? name->len + 1 : 0))
		goto out;
	if ((err = decode_seg(id, buf, &used, &out->id, &out->id_len)) != VD_OK ||
	    (name && (err = decode_seg(name, buf, &used, &out->name, &out->name_len)) != VD_OK))
		goto out;
out:
	return err;
}

void
route_allow_header(unsigned allow, char *out, size_t outsz)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} methods[] = {
		{ ROUTE_GET, "GET" }, { ROUTE_HEAD, "HEAD" }, { ROUTE_POST, "POST" },
	};
	const char	*sep = "";
	size_t		 i, len = 0, n;
	int		 w;

	for (i = 0; outsz > 0 && i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (!(allow & methods[i].bit))
			continue;
		/* A buffer too small for the next name ends the list at the last whole name. */
		w = snprintf(out + len, outsz - len, "%s%s", sep, methods[i].name);
		if (w < 0 || (n = (size_t)w) >= outsz - len) {
			out[len] = '\0';
			break;
		}
		len += n;
		sep = ", ";
	}
	if (outsz > 0 && len == 0)
		out[0] = '\0';
}
