/*
 * Logging to stderr, one line per event, each line starting with the
 * process id (and the request id inside a request).  Untrusted text must
 * pass through text_escape_log() before it is handed to these functions.
 */
#ifndef VD_LOG_H
#define VD_LOG_H

/* Takes note of the process id, once per process (getpid() is a system call). */
void	log_init(void);
/* Sets the request id that following lines carry; NULL clears it. */
void	log_set_request(const char *id);
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
