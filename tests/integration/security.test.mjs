// Security (issue 4): no header injection in either direction (spec
// sections 6 and 7), no SQL built from strings (src/), privileges dropped to
// --user and refused as root, the unix socket's --socket-mode, a --listen
// path that is another server's socket or not a socket at all, and the
// seccomp filter on in every worker of the suite.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { before } from 'node:test';
import { BIN, SRCDIR, clusterUser, isRoot, run, suite } from './harness.mjs';
import { assertError } from './expect.mjs';
import { ageMs, childrenOf, gidsOf, pollUntil, uidOfUser, uidsOf, waitWorkers } from './lib/procs.mjs';
import { fcgiRequest } from './lib/fcgi.mjs';
import { rawExchange, rawPost, rawRequest } from './lib/raw.mjs';
import { checkSql } from './lib/sqlcheck.mjs';

const E = '/engine-rest';
const TASK = 'sec-task';
const MALFORMED = 'multipart/form-data cannot be processed';
const B = 'sec-boundary';
const CT = `multipart/form-data; boundary=${B}`;
const url = (n) => `${E}/task/${TASK}/localVariables/${n}/data`;
// How long a vardata started by hand may take to bind or to exit.
const PROC_DEADLINE_MS = 30_000;

// The Content-Disposition of spec section 7, computed independently: the
// fallback keeps printable ASCII but '"' and '\' (escaped) and turns every
// other byte into '_'; filename* percent-encodes every UTF-8 byte but
// A-Z a-z 0-9 . - * _ (Java's URLEncoder, with %20 for a space).
function disposition(filename) {
	let fallback = '';
	let pct = '';
	for (const b of Buffer.from(filename, 'utf8')) {
		const c = String.fromCharCode(b);
		fallback += b === 0x22 || b === 0x5c ? `\\${c}` : b < 0x20 || b >= 0x7f ? '_' : c;
		pct += /[A-Za-z0-9.\-*_]/.test(c) && b < 0x80 ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
	}
	return `attachment; filename="${fallback}"; filename*=UTF-8''${pct}`;
}

// The header block of a raw answer, line by line: each must be a field
// name, a colon and printable ASCII (RFC 9110 section 5.5: no CR, LF, NUL or
// other control byte inside a field), each field of interest once.
function assertCleanHeaders(res, what) {
	const lines = res.rawHeaders.split('\r\n');
	assert.match(lines[0], /^HTTP\/1\.1 \d{3} /, `${what}: status line`);
	for (const line of lines.slice(1))
		assert.match(line, /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+: [\x20-\x7e]*$/, `${what}: header line ${JSON.stringify(line)}`);
	const names = lines.slice(1).map((l) => l.slice(0, l.indexOf(':')).toLowerCase());
	for (const injected of ['set-cookie', 'x-injected', 'location', 'refresh'])
		assert.ok(!names.includes(injected), `${what}: no injected ${injected} header`);
	for (const once of ['content-type', 'content-disposition', 'content-length'])
		assert.ok(names.filter((n) => n === once).length <= 1, `${what}: one ${once} at most`);
}

// C source with SQL built from strings, each with the rules it must trip.
const PLANTED = [
	['snprintf of SELECT with %s, then PQexec', ['format', 'builder', 'sink'], `
static enum vd_err
find(PGconn *conn, const char *name)
{
	char	sql[256];

	snprintf(sql, sizeof(sql), "SELECT id_ FROM act_ru_variable WHERE name_ = '%s'", name);
	PQclear(PQexec(conn, sql));
	return VD_OK;
}
`],
	['asprintf of a lower-case DELETE, then PQexecParams', ['format', 'builder', 'sink'], `
static void
drop(PGconn *conn, const char *id)
{
	char	*q;

	if (asprintf(&q, "delete from act_ge_bytearray"
	    " where id_ = '%s'", id) < 0)
		return;
	PQclear(PQexecParams(conn, q, 0, NULL, NULL, NULL, NULL, 0));
}
`],
	['strcpy and strcat of an UPDATE, then PQexec', ['builder', 'sink'], `
static void
bump(PGconn *conn, const char *rev)
{
	char	buf[128];

	strcpy(buf, "UPDATE act_ru_task SET rev_ = ");
	strcat(buf, rev);
	PQclear(PQexec(conn, buf));
}
`],
	['a helper that runs its argument, called with a buffer', ['sink'], `
static PGresult *
run_sql(PGconn *c, const char *sql)
{
	return PQexec(c, sql);
}

static void
use(PGconn *c, const char *table)
{
	char	q[64];

	memcpy(q, table, 10);
	(void)run_sql(c, q);
}
`],
	['PQprepare of a statement from a variable', ['sink'], `
static void
prep(PGconn *c, char *text)
{
	PQclear(PQprepare(c, "s", text, 0, NULL));
}
`],
	['a macro with a hole for a value', ['format', 'builder'], `
#define BY_ID	"SELECT bytes_ FROM act_ge_bytearray WHERE id_ = '%s'"
static void
byid(char *b, size_t n, const char *id)
{
	snprintf(b, n, BY_ID, id);
}
`],
	['COPY built with sprintf', ['format', 'builder'], `
static void
copy(char *b, const char *table)
{
	sprintf(b, "COPY %s (id_, bytes_) FROM STDIN", table);
}
`],
];

// Constant SQL in the shapes store.c uses: none of it may trip the check.
const CLEAN = `
#define HEAD "SELECT 1"
static const struct {
	const char	*name;
	const char	*sql;
} stmts[2] = {
	[0] = { "a", HEAD " FROM act_ru_variable WHERE id_ = $1" },
	[1] = { "b", "DELETE FROM act_ge_bytearray WHERE id_ = $1" },
};

static enum vd_err
command(PGconn *conn, const char *sql)
{
	PQclear(PQexec(conn, sql));
	return VD_OK;
}

static void
all(PGconn *conn, int i)
{
	char	line[64];

	PQclear(PQprepare(conn, stmts[i].name, stmts[i].sql, 1, NULL));
	PQclear(PQexecParams(conn, stmts[i].sql, 1, NULL, NULL, NULL, NULL, 0));
	PQclear(PQexec(conn, "COPY act_ge_bytearray (id_, bytes_) FROM STDIN"));
	snprintf(line, sizeof(line), "%s\\t1\\n", "id");
	if (command(conn, "BEGIN") == VD_OK)
		(void)command(conn, "COMMIT");
	log_error("%s failed: SQLSTATE %s", "x", "y");
}
`;

suite('security', {}, (s, test) => {
	before(async () => {
		await s.createTask(TASK);
	});

	// ---- header injection: on the way in ----

	const part = (headers, data) => Buffer.from(`--${B}\r\n${headers}\r\n\r\n${data}\r\n`, 'latin1');
	const fileBody = (disp, ct) => Buffer.concat([
		part(`Content-Disposition: form-data; name="data"; ${disp}${ct === undefined ? '' : `\r\nContent-Type: ${ct}`}`, 'x'),
		part('Content-Disposition: form-data; name="valueType"', 'File'),
		Buffer.from(`--${B}--\r\n`),
	]);
	for (const [label, disp, ct] of [
		['filename with CRLF and a header after it', 'filename="a.txt\r\nSet-Cookie: s=1"', 'text/plain'],
		['filename with a bare LF', 'filename="a\nSet-Cookie: s=1.txt"', 'text/plain'],
		['filename with a bare CR', 'filename="a\rSet-Cookie: s=1.txt"', 'text/plain'],
		['filename* with %0D%0A', "filename*=UTF-8''a%0D%0ASet-Cookie%3A%20s%3D1", 'text/plain'],
		['filename* with %0A', "filename*=UTF-8''a%0ASet-Cookie%3A%20s%3D1", 'text/plain'],
		['filename* with %00', "filename*=UTF-8''a%00b", 'text/plain'],
		['mime type with a bare CR', 'filename="a.txt"', 'text/plain\rSet-Cookie: s=1'],
		['mime type with a folded second line', 'filename="a.txt"', 'text/plain\r\n Set-Cookie: s=1'],
		['mime type encoding parameter with a bare LF', 'filename="a.txt"', 'text/plain; encoding="a\nSet-Cookie: s=1"'],
	]) {
		test(`in: ${label} -> 400 "${MALFORMED}", nothing stored`, async () => {
			const name = `in-${s.uid('v')}`;
			const res = await rawExchange(s.port, rawPost(url(name), fileBody(disp, ct), CT));
			assertError(res, 400, 'RestException', MALFORMED);
			assert.equal(await s.variable(TASK, name), null);
		});
	}

	test('in: a filename with quote, backslash, non-ASCII and "%0D" as text is stored as sent and comes back escaped', async () => {
		const filename = 'q"b\\ü %0D%0A.txt';
		const body = fileBody(`filename*=UTF-8''${encodeURIComponent(filename).replace(/'/g, '%27')}`, 'text/plain');
		const res = await rawExchange(s.port, rawPost(url('roundtrip'), body, CT));
		assert.equal(res.status, 204, res.body.toString());
		assert.equal((await s.variable(TASK, 'roundtrip')).text_, filename);
		const got = await rawExchange(s.port, rawRequest({ target: url('roundtrip') }));
		assertCleanHeaders(got, 'download');
		assert.equal(got.headers['content-disposition'], disposition(filename));
	});

	// ---- header injection: on the way out, from rows planted in the database ----

	const PLANTED_ROWS = [
		['CRLF and a Set-Cookie line in the filename', 'evil.txt\r\nSet-Cookie: session=stolen\r\nX-Injected: 1', 'text/plain#', 'text/plain'],
		['bare LF in the filename, CRLF in the mime type', 'lf\nX-Injected: 1.txt', 'text/html\r\nX-Injected: 1#', 'application/octet-stream'],
		['bare CR in the filename, CRLF in the encoding', 'cr\rX-Injected: 1.txt', 'text/plain#utf-8\r\nX-Injected: 1', 'text/plain'],
		['control bytes, quote and backslash in the filename', 'ctl\x01\x1b\x7f"q"\\b.txt', 'text/plain#utf-8', 'text/plain; charset=utf-8'],
		['non-ASCII and a tab in the filename, parameters in the mime type', 'tab\tünï.txt', 'text/html; x=1#', 'application/octet-stream'],
		['a mime type that is only CRLF', 'plain.txt', '\r\nX-Injected: 1#\r\n', 'application/octet-stream'],
		['an encoding that tries to add a parameter', 'enc.txt', 'text/plain#utf-8; x-injected=1', 'text/plain'],
		['a mime type with non-ASCII', 'mime.txt', 'tëxt/plain#', 'application/octet-stream'],
		['a Location header in the filename', '\r\nLocation: http://127.0.0.1/\r\n\r\n<html>', 'text/plain#', 'text/plain'],
	];
	for (const [label, text, text2, contentType] of PLANTED_ROWS) {
		test(`out: planted ${label} -> no injected header; GET, HEAD and variable-instance`, async () => {
			const name = s.uid('planted');
			const bytes = Buffer.from(`content of ${name}`);
			const { id } = await s.insertVariable({ name, type: 'file', bytes, text, text2, taskId: TASK });
			for (const [method, target] of [['GET', url(name)], ['HEAD', url(name)], ['GET', `${E}/variable-instance/${id}/data`]]) {
				const res = await rawExchange(s.port, rawRequest({ method, target }));
				const what = `${method} ${target}`;
				assert.equal(res.status, 200, `${what}: ${res.body.toString().slice(0, 200)}`);
				assertCleanHeaders(res, what);
				assert.equal(res.headers['content-type'], contentType, `${what}: Content-Type`);
				assert.equal(res.headers['content-disposition'], disposition(text), `${what}: Content-Disposition`);
				assert.equal(res.headers['x-content-type-options'], 'nosniff');
				if (method === 'GET')
					assert.ok(res.body.equals(bytes), `${what}: body`);
				else
					assert.equal(res.body.length, 0, `${what}: no body`);
			}
		});
	}

	// ---- SQL is never built from strings ----

	test('the SQL check finds each kind of string-built SQL it is meant to find', () => {
		for (const [label, rules, code] of PLANTED) {
			const { violations } = checkSql({ 'planted.c': code });
			assert.deepEqual([...new Set(violations.map((v) => v.rule))].sort(), [...rules].sort(),
				`${label}: ${JSON.stringify(violations)}`);
		}
		const clean = checkSql({ 'clean.c': CLEAN });
		assert.deepEqual(clean.violations, [], 'constant SQL in the shapes store.c uses');
		assert.equal(clean.sinks, 4, 'the check saw every libpq call that runs SQL');
	});

	test('src/*.c builds no SQL from strings (printf/strcat-style building, non-constant SQL given to libpq)', async () => {
		const dir = path.join(SRCDIR, 'src');
		const files = {};
		for (const f of (await fsp.readdir(dir)).filter((n) => n.endsWith('.c')).sort())
			files[f] = await fsp.readFile(path.join(dir, f), 'utf8');
		assert.ok('store.c' in files, 'src/store.c is there');
		const { violations, sinks } = checkSql(files);
		assert.deepEqual(violations, [], 'string-built SQL in src/');
		assert.ok(sinks >= 3, `the check saw the libpq calls that run SQL (${sinks})`);
		// And the same sources with one string-built statement added fail.
		const planted = checkSql({ ...files, 'store.c': `${files['store.c']}\n${PLANTED[0][2]}` });
		assert.ok(planted.violations.some((v) => v.file === 'store.c'), 'a planted statement in store.c is found');
	});

	// ---- privileges ----

	test('started as root with --user: supervisor and workers run as that user (from /proc)', async (t) => {
		if (!isRoot) {
			t.skip('needs root');
			return;
		}
		const user = await clusterUser();
		const want = uidOfUser(user);
		assert.ok(want && want.uid !== 0, `user ${user} exists and is not root`);
		const workers = await waitWorkers(s.proc.pid, 2);
		for (const pid of [s.proc.pid, ...workers]) {
			assert.deepEqual(uidsOf(pid), [want.uid, want.uid, want.uid, want.uid], `uids of ${pid}`);
			assert.deepEqual(gidsOf(pid), [want.gid, want.gid, want.gid, want.gid], `gids of ${pid}`);
			const groups = fs.readFileSync(`/proc/${pid}/status`, 'latin1').split('\n').find((l) => l.startsWith('Groups:'));
			assert.ok(!groups.split(/\s+/).slice(1).includes('0'), `no root group for ${pid}: ${groups}`);
		}
	});

	// wrapper: a command that runs vardata (its argv follows).
	async function vardataByHand(args, wrapper = []) {
		const argv = [...wrapper, BIN, ...args];
		const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		child.stdout.on('data', (c) => { out += c; });
		child.stderr.on('data', (c) => { out += c; });
		const exit = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
		return { child, exit, output: () => out };
	}

	async function waitExit(p) {
		let timer;
		const r = await Promise.race([p.exit, new Promise((resolve) => {
			timer = setTimeout(() => resolve('timeout'), PROC_DEADLINE_MS);
		})]);
		clearTimeout(timer);
		if (r === 'timeout')
			p.child.kill('SIGKILL');
		return r;
	}

	// A start that must fail: vardata exits by itself, with a status that is
	// neither 0 nor a signal's.
	async function assertStartFails(p) {
		const r = await waitExit(p);
		assert.notEqual(r, 'timeout', `it exits: ${p.output()}`);
		assert.ok(r.code !== 0 && r.code !== null, `exit status ${JSON.stringify(r)}: ${p.output()}`);
	}

	// Started as root, vardata runs as the cluster's user (it refuses root).
	async function userArgs() {
		return isRoot ? ['--user', await clusterUser()] : [];
	}

	for (const [label, extra, message] of [
		['without --user', [], 'refusing to serve as root: use --user NAME (or --allow-root)'],
		['with --user of a user that does not exist', ['--user', 'no-such-user-vd'], 'no such user: no-such-user-vd'],
		['with --user root', ['--user', 'root'], 'refusing to serve as root: --user root is root (use --allow-root)'],
	]) {
		test(`started as root ${label}: refuses to serve, exit status not 0, a clear message`, async (t) => {
			if (!isRoot) {
				t.skip('needs root');
				return;
			}
			const sock = path.join(s.dir, 'root.sock');
			const p = await vardataByHand(['--db', s.conninfo, '--listen', `unix:${sock}`, '--workers', '1', ...extra]);
			await assertStartFails(p);
			assert.ok(p.output().includes(message), `message: ${p.output()}`);
			assert.doesNotMatch(p.output(), /starting \d+ workers/, 'no worker started');
		});
	}

	// Started as root, vardata creates the socket in a directory that --user
	// may write (the README asks for one, so that the name goes at
	// shutdown).  A process of that user could put a symbolic link where
	// the socket was just created: a chmod() or chown() of the path would
	// give the user the link's target.  strace holds vardata right after
	// its bind() returns, and the test puts such a link in place then.
	test('started as root: a symbolic link put in place of the new socket gains its user nothing', async (t) => {
		if (!isRoot) {
			t.skip('needs root');
			return;
		}
		const user = await clusterUser();
		const dir = path.join(s.dir, 'user-writable');
		await fsp.mkdir(dir, { mode: 0o755 });
		await run('chown', [`${user}:`, dir]);
		const target = path.join(s.dir, 'roots-secret');
		await fsp.writeFile(target, 'root only', { mode: 0o600 });
		const sock = path.join(dir, 'vardata.sock');
		const p = await vardataByHand(['--db', s.conninfo, '--listen', `unix:${sock}`, '--workers', '1',
			'--socket-mode', '0666', '--user', user],
		['strace', '-qq', '-o', '/dev/null', '-e', 'trace=bind', '-e', 'inject=bind:delay_exit=1500000']);
		// vardata is strace's child: killed with strace, it would run on.
		let pids = [];
		try {
			assert.ok(await pollUntil(() => fs.existsSync(sock) || null, PROC_DEADLINE_MS), 'the socket is bound');
			pids = await childrenOf(p.child.pid);
			await fsp.symlink(target, path.join(dir, 'link'));
			await fsp.rename(path.join(dir, 'link'), sock);
			await assertStartFails(p);
			assert.match(p.output(), /was replaced while it was being created/);
		} finally {
			for (const pid of pids)
				try {
					process.kill(pid, 'SIGKILL');
				} catch {
					// gone already
				}
			p.child.kill('SIGKILL');
		}
		const st = fs.statSync(target);
		assert.equal(st.uid, 0, 'the target is still root\'s');
		assert.equal((st.mode & 0o7777).toString(8), '600', 'and its mode unchanged');
	});

	// ---- the socket's mode ----

	test('the unix socket has the mode given by --socket-mode (0666 in the suite)', async () => {
		const st = fs.statSync(s.socketPath);
		assert.ok(st.isSocket(), 'a socket');
		assert.equal((st.mode & 0o7777).toString(8), '666');
	});

	// Started as root, the socket goes to --user and its group: with 0660,
	// nginx's user joins that group to connect (it was root's once).
	for (const mode of ['0600', '0660', '0640'])
		test(`--socket-mode ${mode}: the socket is created with mode ${mode}, owned by --user when started as root`, async () => {
			const sock = path.join(s.dir, `mode-${mode}.sock`);
			const name = isRoot ? await clusterUser() : null;
			const user = isRoot ? ['--user', name] : [];
			const p = await vardataByHand(['--db', s.conninfo, '--listen', `unix:${sock}`, '--workers', '1', '--socket-mode', mode, ...user]);
			try {
				const seen = await pollUntil(() => fs.existsSync(sock) && /starting 1 workers/.test(p.output()), PROC_DEADLINE_MS);
				assert.ok(seen, `the socket appears: ${p.output()}`);
				const st = fs.statSync(sock);
				assert.ok(st.isSocket());
				assert.equal((st.mode & 0o7777).toString(8).padStart(4, '0'), mode);
				const owner = isRoot ? uidOfUser(name) : { uid: process.getuid(), gid: process.getgid() };
				assert.deepEqual({ uid: st.uid, gid: st.gid }, owner, 'owner and group');
			} finally {
				p.child.kill('SIGTERM');
			}
			const r = await waitExit(p);
			assert.deepEqual(r, { code: 0, signal: null }, `exit after SIGTERM: ${p.output()}`);
		});

	// ---- the spool directory ----

	test('--spool-dir that the workers cannot write: refuses to start, exit status not 0, a clear message', async () => {
		// Ours (root's when run as root), 0500: --user cannot write in it.
		const dir = path.join(s.dir, 'read-only');
		await fsp.mkdir(dir, { mode: 0o500 });
		const user = await userArgs();
		const sock = path.join(s.dir, 'nospool.sock');
		const p = await vardataByHand(['--db', s.conninfo, '--listen', `unix:${sock}`, '--workers', '1',
			'--spool-dir', dir, ...user]);
		await assertStartFails(p);
		assert.match(p.output(), new RegExp(`no spool file can be created in ${dir}: give --spool-dir a directory`));
		assert.doesNotMatch(p.output(), /starting \d+ workers/, 'no worker started');
	});

	test('started as root with --user, a $TMPDIR private to root is not the spool directory', async (t) => {
		if (!isRoot) {
			t.skip('needs root');
			return;
		}
		const privateTmp = path.join(s.dir, 'root-tmp');
		await fsp.mkdir(privateTmp, { mode: 0o700 });
		const sock = path.join(s.dir, 'roottmp.sock');
		const name = await clusterUser();
		const child = spawn(BIN, ['--db', s.conninfo, '--listen', `unix:${sock}`, '--workers', '1', '--user', name],
			{ stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: privateTmp } });
		let out = '';
		child.stdout.on('data', (c) => { out += c; });
		child.stderr.on('data', (c) => { out += c; });
		const exit = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
		try {
			assert.ok(await pollUntil(() => /connected to the database/.test(out), PROC_DEADLINE_MS), `a worker serves: ${out}`);
			assert.doesNotMatch(out, /spool/);
		} finally {
			child.kill('SIGTERM');
		}
		assert.deepEqual(await waitExit({ child, exit }), { code: 0, signal: null }, out);
	});

	for (const bad of ['0999', '1777x', '-1', ''])
		test(`--socket-mode "${bad}" is refused with exit status 2`, async () => {
			const p = await vardataByHand(['--listen', `unix:${path.join(s.dir, 'bad.sock')}`, '--socket-mode', bad]);
			const r = await waitExit(p);
			assert.equal(r.code, 2, p.output());
			assert.match(p.output(), /--socket-mode/);
		});

	for (const bad of ['127.0.0.1:70000', '127.0.0.1:65536', '127.0.0.1:0', '127.0.0.1:9x', 'unix:'])
		test(`--listen ${bad} is refused at start, exit status not 0, a clear message`, async () => {
			const user = await userArgs();
			const p = await vardataByHand(['--db', s.conninfo, '--listen', bad, '--workers', '1', ...user]);
			await assertStartFails(p);
			assert.match(p.output(), /--listen (wants a port from 1 to 65535|unix: wants a path)/);
			assert.doesNotMatch(p.output(), /starting \d+ workers/, 'no worker started');
		});

	// nginx and Apache pass only methods made of token characters; anything
	// else in front of vardata might not, and the log must still hold lines
	// of its own only.
	test('a method with CR LF and a forged log line, sent straight over FastCGI, is escaped in the log', async () => {
		const log = await s.logMark();
		// Short enough to be logged whole.
		const method = 'G\r\nvardata[1]:';
		const out = await fcgiRequest(s.socketPath, { REQUEST_METHOD: method, REQUEST_URI: url('x'),
			SERVER_PROTOCOL: 'HTTP/1.1' });
		assert.match(out, /^Status: 405/m, `an unknown method is refused: ${out.slice(0, 200)}`);
		const text = await pollUntil(async () => {
			const t = await log.since();
			return / G\\x0d\\x0avardata\[1\]: \/engine-rest\/\S*\/x\/data 405 /.test(t) ? t : null;
		}, PROC_DEADLINE_MS);
		assert.ok(text, `the request's line, escaped: ${await log.since()}`);
		assert.doesNotMatch(text, /^vardata\[1\]:/m, 'no forged line');
		assert.doesNotMatch(text, /\r/, 'no raw CR');
	});

	// spawn-fcgi opens the socket and execs vardata with it on fd 0 (-n: in
	// the foreground, so the child is vardata itself).
	test('without --listen, under spawn-fcgi: the pool serves on the socket passed on fd 0', async () => {
		const sock = path.join(s.dir, 'spawn-fcgi.sock');
		const user = await userArgs();
		const p = await vardataByHand(['--db', s.conninfo, '--workers', '1', ...user],
			['spawn-fcgi', '-n', '-s', sock, '-M', '0666', '--']);
		let out;
		try {
			assert.ok(await pollUntil(() => /connected to the database/.test(p.output()), PROC_DEADLINE_MS), p.output());
			out = await fcgiRequest(sock, { REQUEST_METHOD: 'GET', REQUEST_URI: url('no-such-variable') });
		} finally {
			p.child.kill('SIGTERM');
		}
		const r = await waitExit(p);
		assert.match(p.output(), /listening on fd 0/);
		assert.match(out, /^Status: 404/m, `vardata's own answer, from the database: ${out}`);
		assert.match(out, /"type":"InvalidRequestException"/);
		assert.deepEqual(r, { code: 0, signal: null }, `exit after SIGTERM: ${p.output()}`);
	});

	// ---- the unix socket's path: another server's socket, or a file, is not ours ----

	// Whether something accepts connections on a unix socket path.
	const accepting = (sock) => new Promise((resolve) => {
		const c = net.connect(sock);
		c.on('connect', () => {
			c.destroy();
			resolve(true);
		});
		c.on('error', () => resolve(false));
	});

	test('a second vardata on the suite\'s live socket path refuses to take it; the pool keeps it and serves on', async () => {
		const ino = fs.statSync(s.socketPath).ino;
		const user = await userArgs();
		const p = await vardataByHand(['--db', s.conninfo, '--listen', `unix:${s.socketPath}`, '--workers', '1', ...user]);
		await assertStartFails(p);
		assert.match(p.output(), /a server is listening there already \(another vardata\?\); not taking its socket/);
		assert.doesNotMatch(p.output(), /starting \d+ workers/, 'no worker started');
		assert.equal(fs.statSync(s.socketPath).ino, ino, 'the pool\'s socket file is untouched');
		// vardata's own 404 for a variable that is not there: the pool answers.
		const got = await rawExchange(s.port, rawRequest({ target: url('no-such-variable') }));
		assert.equal(got.status, 404, `the pool still serves through nginx: ${got.status}`);
		assert.match(got.body.toString(), /"type":"InvalidRequestException"/);
	});

	test('a file that is not a socket at the --listen path is refused and left as it was', async () => {
		const sock = path.join(s.dir, 'not-a-socket.sock');
		await fsp.writeFile(sock, 'precious');
		const user = await userArgs();
		const p = await vardataByHand(['--db', s.conninfo, '--listen', `unix:${sock}`, '--workers', '1', ...user]);
		await assertStartFails(p);
		assert.match(p.output(), new RegExp(`unix:${sock} exists and is not a socket; not removing it`));
		assert.equal(await fsp.readFile(sock, 'utf8'), 'precious', 'the file is unchanged');
	});

	test('a stale socket file (nobody listens on it) is replaced, and the new pool serves on it', async () => {
		const sock = path.join(s.dir, 'stale.sock');
		// perl leaves its listening socket's file behind when it exits.
		await run('perl', ['-MIO::Socket::UNIX', '-e',
			'IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $ARGV[0], Listen => 1) or die "listen: $!"', sock]);
		assert.ok(fs.statSync(sock).isSocket(), 'a socket file is left');
		assert.equal(await accepting(sock), false, 'nobody listens on it');
		const user = await userArgs();
		const p = await vardataByHand(['--db', s.conninfo, '--listen', `unix:${sock}`, '--workers', '1', ...user]);
		let served;
		try {
			served = await pollUntil(async () => /starting 1 workers/.test(p.output()) && await accepting(sock), PROC_DEADLINE_MS);
		} finally {
			p.child.kill('SIGTERM');
		}
		const r = await waitExit(p);
		assert.ok(served, `the new pool listens: ${p.output()}`);
		assert.match(p.output(), new RegExp(`removed the stale socket unix:${sock}`));
		assert.deepEqual(r, { code: 0, signal: null }, `exit after SIGTERM: ${p.output()}`);
		assert.equal(fs.existsSync(sock), false, 'its own socket is removed at shutdown');
	});

	test('at shutdown, a socket that another server has put at the path since is left to it', async () => {
		const sock = path.join(s.dir, 'replaced.sock');
		const user = await userArgs();
		const args = ['--db', s.conninfo, '--listen', `unix:${sock}`, '--workers', '1', ...user];
		const first = await vardataByHand(args);
		let second;
		let r1;
		let r2;
		let kept;
		try {
			assert.ok(await pollUntil(() => /starting 1 workers/.test(first.output()), PROC_DEADLINE_MS), first.output());
			// Its file removed by hand, a second pool binds the path anew.
			await fsp.unlink(sock);
			second = await vardataByHand(args);
			assert.ok(await pollUntil(() => /starting 1 workers/.test(second.output()), PROC_DEADLINE_MS), second.output());
			first.child.kill('SIGTERM');
			r1 = await waitExit(first);
			kept = fs.existsSync(sock) && await accepting(sock);
		} finally {
			first.child.kill('SIGTERM');
			second?.child.kill('SIGTERM');
		}
		r2 = second ? await waitExit(second) : null;
		assert.deepEqual(r1, { code: 0, signal: null }, `the first pool stops: ${first.output()}`);
		assert.ok(kept, 'the second pool\'s socket survives the first one\'s shutdown');
		assert.match(first.output(), new RegExp(`unix:${sock} is no longer the socket this process made; leaving it`));
		assert.deepEqual(r2, { code: 0, signal: null }, `the second pool stops: ${second?.output()}`);
		assert.equal(fs.existsSync(sock), false, 'the second pool removes its own socket');
	});

	// A SIGCHLD ignored by the parent survives execve(); the supervisor must
	// still see its workers die, replace them, and stop.
	test('started with SIGCHLD ignored: a killed worker is replaced, and SIGTERM stops the pool', async () => {
		const ignoring = ['perl', '-e', '$SIG{CHLD} = "IGNORE"; exec @ARGV or die "exec: $!"'];
		const status = (await run(ignoring[0], [...ignoring.slice(1), 'cat', '/proc/self/status'])).stdout.toString();
		const ign = BigInt(`0x${/^SigIgn:\s+([0-9a-f]+)$/m.exec(status)[1]}`);
		assert.ok((ign & (1n << 16n)) !== 0n, 'the wrapper hands on SIGCHLD (17) ignored');
		const sock = path.join(s.dir, 'sigchld.sock');
		const user = await userArgs();
		const p = await vardataByHand(['--db', s.conninfo, '--listen', `unix:${sock}`, '--workers', '1', ...user], ignoring);
		let stopped;
		try {
			const [first] = await waitWorkers(p.child.pid, 1);
			// Past the crash-loop guard (1 s after its start), so the replacement is not delayed on purpose.
			await pollUntil(() => /connected to the database/.test(p.output()), PROC_DEADLINE_MS);
			await pollUntil(() => (ageMs(first) > 1500 ? true : null), PROC_DEADLINE_MS);
			process.kill(first, 'SIGKILL');
			const next = await pollUntil(async () => {
				const c = await childrenOf(p.child.pid);
				return c.length === 1 && c[0] !== first ? c[0] : null;
			}, PROC_DEADLINE_MS);
			assert.ok(next, `the killed worker ${first} was replaced: ${p.output()}`);
			assert.match(p.output(), new RegExp(`worker ${first} killed by signal 9; replacing it`));
		} finally {
			p.child.kill('SIGTERM');
			stopped = await waitExit(p);
		}
		assert.deepEqual(stopped, { code: 0, signal: null }, `exit after SIGTERM: ${p.output()}`);
		assert.doesNotMatch(p.output(), /shutdown timeout/);
	});

	// A worker that cannot start (here: its spool directory was removed)
	// must not be forked every second forever: each failed start in a row
	// doubles the pause, and a start that works ends the pauses.
	test('workers that fail at start are restarted after 1, 2, 4 ... s, and normally again once they start', async () => {
		const spool = path.join(s.dir, 'spool-gone');
		await fsp.mkdir(spool, { mode: 0o700 });
		const name = isRoot ? await clusterUser() : null;
		const owner = isRoot ? uidOfUser(name) : null;
		if (isRoot)
			await fsp.chown(spool, owner.uid, owner.gid);
		const sock = path.join(s.dir, 'backoff.sock');
		const user = isRoot ? ['--user', name] : [];
		const p = await vardataByHand(['--db', s.conninfo, '--listen', `unix:${sock}`, '--workers', '1',
			'--spool-dir', spool, ...user]);
		let stopped;
		let backedOff;
		let recovered;
		try {
			const [first] = await waitWorkers(p.child.pid, 1);
			await pollUntil(() => /connected to the database/.test(p.output()), PROC_DEADLINE_MS);
			// Past the first second, so that its own death is not a failed start.
			await pollUntil(() => (ageMs(first) > 1500 ? true : null), PROC_DEADLINE_MS);
			await fsp.rmdir(spool);
			process.kill(first, 'SIGKILL');
			backedOff = await pollUntil(() => /exited with status 1; replacing it in 4 s/.test(p.output()), PROC_DEADLINE_MS);
			await fsp.mkdir(spool, { mode: 0o700 });
			if (isRoot)
				await fsp.chown(spool, owner.uid, owner.gid);
			recovered = await pollUntil(() => (p.output().match(/connected to the database/g) || []).length === 2,
				PROC_DEADLINE_MS);
		} finally {
			p.child.kill('SIGTERM');
			stopped = await waitExit(p);
		}
		const out = p.output();
		assert.ok(backedOff, `three failed starts: ${out}`);
		assert.match(out, /killed by signal 9; replacing it\n/, 'the killed worker, which had run, is replaced at once');
		const pauses = [...out.matchAll(/exited with status 1; replacing it in (\d+) s/g)].map((m) => Number(m[1]));
		assert.deepEqual(pauses.slice(0, 3), [1, 2, 4], 'the pause doubles with each failed start');
		assert.match(out, /cannot set up the store \(memory or spool file\)/);
		assert.ok(recovered, `a worker starts once the directory is back: ${out}`);
		assert.deepEqual(stopped, { code: 0, signal: null }, `exit after SIGTERM: ${out}`);
	});

	// ---- seccomp ----

	test('every worker of the suite runs under the seccomp filter; the supervisor does not need it', async () => {
		assert.ok(s.proc.spawnargs.includes('--seccomp'), 'the harness starts vardata with --seccomp');
		const workers = await waitWorkers(s.proc.pid, 2);
		for (const pid of workers) {
			const st = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
			assert.match(st, /^Seccomp:\s+2$/m, `worker ${pid} is in seccomp filter mode`);
			assert.match(st, /^NoNewPrivs:\s+1$/m, `worker ${pid} cannot gain privileges`);
		}
		// Everything above ran with the filter on; no worker was killed by it (SIGSYS is 31).
		const log = await fsp.readFile(s.vardataLog, 'utf8');
		assert.doesNotMatch(log, /killed by signal 31/);
		assert.deepEqual(await childrenOf(s.proc.pid), workers, 'the same workers');
	});
});
