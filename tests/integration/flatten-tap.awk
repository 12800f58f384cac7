# Flattens node's nested TAP (one subtest per describe) into one test point
# per test, so that Automake's tap-driver.sh counts every test and not one
# per file.  A result line whose predecessor result was indented deeper
# closes a suite: it is dropped when it passed (its tests were counted) and
# kept when it failed (a failing hook fails the suite, not a test).
# Everything else is passed through as a comment, so the log stays whole.
BEGIN { n = 0; prev = -1 }
/^ *(not )?ok [0-9]+ - / {
	match($0, /^ */)
	indent = RLENGTH
	line = substr($0, indent + 1)
	failed = (line ~ /^not ok/)
	sub(/^(not )?ok [0-9]+ - /, "", line)
	suite = (prev > indent)
	prev = indent
	if (!suite || failed)
		printf "%s %d - %s\n", failed ? "not ok" : "ok", ++n, line
	next
}
/^TAP version/ { next }
/^ *1\.\.[0-9]+ *$/ { next }
/^ *Bail out!/ { sub(/^ */, ""); print; next }
{ print "# " $0 }
END { printf "1..%d\n", n }
