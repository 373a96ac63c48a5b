/*
 * The privilege drop, and the one thing kept privileged after it: opening
 * the log files of the starting configuration. Logs usually live in a
 * folder only root may write (/var/log/tlsfloor, 0750): once the daemon
 * runs as `user`, it could not create the new files logrotate expects
 * after a rename, and every stream would go on writing into the rotated
 * files. So before the drop a small process is forked that stays root,
 * holds no socket, file or key, and does nothing but open those paths for
 * appending and hand the descriptors back over a socketpair (the way
 * nginx's master reopens logs for its workers). Everything else (a
 * reload's certificates and keys, log paths a reload adds) is read as the
 * user, as SPEC asks: `tlsfloor -t` checks the files as that user too.
 */
#ifndef TF_PRIVSEP_H
#define TF_PRIVSEP_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"

struct tf_user {
	uid_t uid;
	gid_t gid;
	char *name;             /* a copy of the configuration's `user`,
	                           kept past its generation */
};

/*
 * Looks up cfg's `user`. Returns 1 with *u set (u->name is the caller's
 * to free), 0 when the configuration names none, -1 with err
 * "FILE:LINE: user NAME: no such user".
 */
int tf_user_find(const struct tf_config *cfg, struct tf_user *u, char *err,
    size_t errlen);

/*
 * Becomes u for good (groups, gid, uid). Returns 0, or -1 with err.
 * Does nothing and returns 0 when the process does not run as root.
 */
int tf_user_become(const struct tf_user *u, char *err, size_t errlen);

/*
 * Forks the log opener for the log files cfg names (error, legacy and
 * access logs that go to a path), while the process is still root; from
 * then on tf_privsep_open_log() asks it for those paths. Returns 0 (also
 * when there is no log file to keep), or -1 with err.
 */
int tf_privsep_start(const struct tf_config *cfg, char *err, size_t errlen);

/*
 * Opens PATH for appending as tf_log_file_open() does: through the opener
 * when it was started with PATH, directly otherwise. Returns a descriptor
 * or -1 with errno set. The control thread only.
 */
int tf_privsep_open_log(const char *path);

#endif
