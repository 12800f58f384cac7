/*
 * Logging to stderr, one line per event, each line starting with the
 * process id (and the request id inside a request).  Untrusted text must
 * pass through text_escape_log() before it is handed to these functions.
 */
#ifndef VD_LOG_H
#define VD_LOG_H

/* Takes note of the process id, once per process (getpid() is a system call). */
void	log_init(void);
/*
 * From now on, holds the info lines (a worker's request lines) until
 * log_flush() or until they fill PIPE_BUF bytes, and writes them in one go;
 * warnings and errors are written at once, after what is held.
 */
void	log_hold(void);
/* Writes the lines held; a holding process calls it before it waits. */
void	log_flush(void);
/* Sets the request id that following lines carry; NULL clears it. */
void	log_set_request(const char *id);
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
