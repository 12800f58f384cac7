#include "config.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "defaults.h"
#include "log.h"
#include "sandbox.h"
#include "sock.h"
#include "store.h"
#include "supervisor.h"

/*
 * After the socket is bound (it may need privileges) and before anything
 * reads a request, become the unprivileged user (uid, gid: its ids; home:
 * its home directory).  $HOME goes with it, as with su(1): libpq looks for
 * ~/.pgpass and for ~/.postgresql/ (TLS client and root certificates)
 * there, and a certificate file it cannot read, as root's would be, fails
 * TLS to the database: sslmode=require then cannot connect at all, and the
 * default, prefer, connects without TLS.
 */
static bool
drop_privileges(const struct vd_conf *conf, uid_t uid, gid_t gid, const char *home)
{
	if (conf->user == NULL)
		return true;
	if (geteuid() != 0 && geteuid() == uid)
		return true;
	if (initgroups(conf->user, gid) == -1 || setgid(gid) == -1 || setuid(uid) == -1) {
		log_error("cannot become user %s: %s", conf->user, strerror(errno));
		return false;
	}
	if (uid != 0 && setuid(0) == 0) {
		log_error("privileges were not dropped");
		return false;
	}
	if (setenv("HOME", home, 1) == -1) {
		log_error("cannot set HOME: %s", strerror(errno));
		return false;
	}
	return true;
}

int
main(int argc, char *argv[])
{
	struct vd_conf	 conf;
	struct passwd	*pw;
	uid_t		 uid = (uid_t)-1;
	gid_t		 gid = (gid_t)-1;
	char		 err[512], home[PATH_MAX] = "/";
	int		 fd;

	/* Every line has the shape of the log's, configuration errors too. */
	log_init();
	switch (conf_load(&conf, argc, argv, err, sizeof(err))) {
	case CONF_EXIT:
		return EXIT_SUCCESS;
	case CONF_ERROR:
		log_error("%s", err);
		return 2;
	case CONF_OK:
		break;
	}
	if (conf.seccomp && !sandbox_available()) {
		log_error("--seccomp: built without libseccomp");
		return 2;
	}
	/* A client that goes away must cost one request, not the worker. */
	signal(SIGPIPE, SIG_IGN);
	/* Refuse root before binding, so that a refusal leaves no socket file. */
	if (geteuid() == 0 && conf.user == NULL && !conf.allow_root) {
		log_error("refusing to serve as root: use --user NAME (or --allow-root)");
		return EXIT_FAILURE;
	}
	/* The user is known before the socket is bound: an unknown one leaves no socket file. */
	if (conf.user != NULL) {
		if ((pw = getpwnam(conf.user)) == NULL) {
			log_error("no such user: %s", conf.user);
			return EXIT_FAILURE;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		if (uid == 0 && !conf.allow_root) {
			log_error("refusing to serve as root: --user %s is root (use --allow-root)", conf.user);
			return EXIT_FAILURE;
		}
		if (pw->pw_dir != NULL && *pw->pw_dir != '\0' &&
		    (size_t)snprintf(home, sizeof(home), "%s", pw->pw_dir) >= sizeof(home)) {
			log_error("the home directory of user %s is too long", conf.user);
			return EXIT_FAILURE;
		}
	}
	if ((fd = sock_listen(conf.listen, conf.socket_mode, geteuid() == 0 ? uid : (uid_t)-1,
	    geteuid() == 0 ? gid : (gid_t)-1)) == -1)
		return EXIT_FAILURE;
	if (!drop_privileges(&conf, uid, gid, home)) {
		sock_unlink(conf.listen);
		return EXIT_FAILURE;
	}
	/*
	 * $TMPDIR belongs to whoever started vardata: once it runs as --user,
	 * that is most likely someone else (root's may be private to root).
	 */
	if (conf.spool_dir == NULL)
		conf.spool_dir = conf.user == NULL && getenv("TMPDIR") != NULL && *getenv("TMPDIR") == '/' ?
		    getenv("TMPDIR") : VD_DEFAULT_SPOOL_DIR;
	/* Workers that cannot spool would fail at once, and be replaced, in a loop. */
	if (!store_spool_usable(conf.spool_dir)) {
		log_error("no spool file can be created in %s: give --spool-dir a directory that %s can write",
		    conf.spool_dir, conf.user != NULL ? conf.user : "this user");
		sock_unlink(conf.listen);
		return EXIT_FAILURE;
	}
	log_info("vardata %s listening on %s, base path \"%s\"", PACKAGE_VERSION,
	    conf.listen ? conf.listen : "fd 0", conf.base_path);
	return supervisor_run(&conf, fd);
}
