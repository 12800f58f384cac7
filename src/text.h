/*
 * Small pure helpers on byte strings: UTF-8 validation and counting,
 * decimal numbers, and the escaping used before untrusted text reaches a log
 * line or a header.
 */
#ifndef VD_TEXT_H
#define VD_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s[0..len) is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, <= U+10FFFF). */
bool	utf8_valid(const char *s, size_t len);
/* Number of code points in well-formed UTF-8 s[0..len). */
size_t	utf8_chars(const char *s, size_t len);
/* True when s[0..len) holds no C0 control byte and no DEL (0x7f). */
bool	text_no_controls(const char *s, size_t len);
/*
 * Writes s[0..len) into out (size outsz, always NUL-terminated) with every
 * byte outside printable ASCII, and the backslash, written as \xHH (lower-
 * case hex); cuts the result with "..." when it does not fit, never in the
 * middle of an \xHH.  outsz 0 writes nothing.  Returns out.
 */
char	*text_escape_log(const char *s, size_t len, char *out, size_t outsz);
/*
 * True when s[0..len) equals the NUL-terminated lit, ignoring the case of
 * ASCII letters only (header tokens are case-insensitive ASCII, RFC 9110
 * section 5.6.2; the C library's strcasecmp would follow the locale).
 */
bool	text_ascii_ieq(const char *s, size_t len, const char *lit);

/* The value of one hexadecimal digit, or -1. */
int	text_hexval(unsigned char c);
/*
 * Reads the decimal digits at *pp (no sign, no blanks) into *out and moves
 * *pp past them; false, leaving both alone, when there is no digit or the
 * number does not fit 64 bits.
 */
bool	text_decimal(const char **pp, uint64_t *out);

#endif
