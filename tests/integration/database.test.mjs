// Spec section 8, "database unreachable": 503 while PostgreSQL is down, and
// the workers reconnect by themselves once it is back (no restart).  Also
// what the database cancels: a timeout set for vardata's sessions, or a
// DBA's pg_cancel_backend(), answers 503 and the worker serves on.

import assert from 'node:assert/strict';
import { delay, suite } from './harness.mjs';
import { assertError, assertNoContent, assertValue } from './expect.mjs';

const E = '/engine-rest';
// Bounds of the wait for recovery; not a performance threshold.
const RECOVERY_DEADLINE_MS = 60_000;
const CONSECUTIVE_OK = 10;
const CANCELLED = 'the database cancelled a statement of this request (a lock or statement timeout); try again later';

suite('database outage', {}, (s, test) => {
	test('PostgreSQL down -> 503 RestException for GET and POST; back up -> served again without a restart', async () => {
		const task = s.uid('task');
		await s.createTask(task);
		await s.insertVariable({ name: 'kept', bytes: Buffer.from('survives'), taskId: task });
		const getUrl = `${E}/task/${task}/localVariables/kept/data`;
		assertValue(await s.get(getUrl), { contentType: 'application/octet-stream', body: 'survives' });
		const pid = s.proc.pid;

		await s.stopDatabase();
		// More requests than workers, so that every worker meets the outage.
		for (let i = 0; i < 4; i++) {
			assertError(await s.get(getUrl), 503, 'RestException', /\S/);
			assertError(await s.putBytes(`${E}/task/${task}/localVariables/during/data`, Buffer.from('x')), 503, 'RestException', /\S/);
		}

		await s.startDatabase();
		const deadline = Date.now() + RECOVERY_DEADLINE_MS;
		let ok = 0;
		let last = null;
		while (ok < CONSECUTIVE_OK && Date.now() < deadline) {
			last = await s.get(getUrl);
			ok = last.status === 200 ? ok + 1 : 0;
			if (ok === 0)
				await delay(100);
		}
		assert.equal(ok, CONSECUTIVE_OK, `served again after the database came back (last: ${last && last.status} ${last && last.body.toString()})`);
		assertValue(last, { contentType: 'application/octet-stream', body: 'survives' });
		assertNoContent(await s.putBytes(`${E}/task/${task}/localVariables/after/data`, Buffer.from('after')));
		assert.equal(s.proc.pid, pid);
		assert.equal(s.procExited, undefined, 'the supervisor kept running');
	});

	// A DBA's trigger on a Camunda table may RAISE notices in vardata's
	// sessions.  Each reaches the log as one line of vardata's own format,
	// whatever line breaks its text has, its control bytes escaped (a
	// notice may quote a client's variable name); nothing is printed raw.
	test('a notice the server sends (a trigger\'s RAISE WARNING / NOTICE) -> one line each in the log', async () => {
		const task = s.uid('task');
		await s.createTask(task);
		await s.sql(`CREATE FUNCTION vd_test_notice() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN
				RAISE WARNING E'audit of %:\n\tsecond line', NEW.name_;
				RAISE NOTICE 'noticed %', NEW.name_;
				RAISE NOTICE E'control \\r, \\x1b and \\\\ in %', NEW.name_;
				RETURN NEW;
			END $$;
			CREATE TRIGGER vd_test_notice BEFORE INSERT ON act_ru_variable
				FOR EACH ROW EXECUTE FUNCTION vd_test_notice();`);
		const log = await s.logMark();
		try {
			assertNoContent(await s.putBytes(`${E}/task/${task}/localVariables/audited/data`, Buffer.from('x')));
		} finally {
			await s.sql('DROP TRIGGER vd_test_notice ON act_ru_variable; DROP FUNCTION vd_test_notice();');
		}
		const lines = (await log.since()).split('\n').filter((l) => l !== '');
		assert.ok(lines.some((l) => /^vardata\[\d+\]: WARNING: (\S+ )?database: SQLSTATE 01000: audit of audited:  second line$/.test(l)),
			`the warning, one line: ${lines.join(' | ')}`);
		assert.ok(lines.some((l) => /^vardata\[\d+\]: (\S+ )?database: SQLSTATE 00000: noticed audited$/.test(l)),
			`the notice, one line: ${lines.join(' | ')}`);
		assert.ok(lines.some((l) => l.endsWith(' database: SQLSTATE 00000: control \\x0d, \\x1b and \\x5c in audited')),
			`the rest escaped as all untrusted text: ${lines.join(' | ')}`);
		for (const l of lines)
			assert.match(l, /^vardata\[\d+\]: /, 'every line in the log\'s format');
	});
});

// The stack's one worker as a test starts: the database session it holds
// (its backend's pid), which must be the same after a cancelled statement
// (the worker neither died nor had to reconnect), and where vardata's log
// stands.
async function workerSession(s) {
	const pids = await s.vardataSessions();
	assert.equal(pids.length, 1, 'one worker, one session');
	return { pid: pids[0], log: await s.logMark() };
}

// A write or read whose statement the database cancels (the SQLSTATE in
// the log since session was taken, as a warning): 503, nothing of it
// stored, and the same worker and session serve the next request.
async function assertCancelled(s, answer, state, session) {
	assertError(await answer, 503, 'RestException', CANCELLED);
	assert.match(await session.log.since(), new RegExp(`WARNING: .*SQLSTATE ${state}: `), 'a warning with the SQLSTATE in the log');
	assert.deepEqual(await s.orphanBytearrays(), [], 'no stray byte array');
	assert.equal((await workerSession(s)).pid, session.pid, 'the worker kept its session');
}

// A write of size bytes (kind: variables or localVariables) to a variable
// whose row a psql session holds: cancel(release, answer) gets the
// database to cancel the waiting statement with SQLSTATE state, and
// resolves once it has.  Then assertCancelled's checks, the old value and
// revision kept, and the write done once the row is free.
async function assertWriteCancelled(s, kind, size, state, cancel) {
	const task = s.uid('task');
	await s.createTask(task);
	const url = `${E}/task/${task}/${kind}/held/data`;
	assertNoContent(await s.putBytes(url, Buffer.from('old')));
	const session = await workerSession(s);
	const release = await s.holdTransaction(`SELECT 1 FROM act_ru_variable WHERE var_scope_ = '${task}' FOR UPDATE;`);
	let answer;
	try {
		answer = s.putBytes(url, Buffer.alloc(size, 'n'));
		await cancel(release, answer);
	} finally {
		await release();
	}
	await assertCancelled(s, answer, state, session);
	const v = await s.variable(task, 'held');
	assert.equal(v.rev_, 1);
	assert.equal((await s.bytearray(v.bytearray_id_)).bytes.toString(), 'old');
	const ours = Buffer.alloc(size, 'm');
	assertNoContent(await s.putBytes(url, ours));
	assert.ok((await s.bytearray((await s.variable(task, 'held')).bytearray_id_)).bytes.equals(ours));
}

const WRITES = [['a small value (pipelined)', 100], ['a value over 64 KiB (COPY)', 200_000]];

// A DBA cancels a statement that waits too long (pg_cancel_backend).
suite('a statement cancelled by a DBA', { workers: 1 }, (s, test) => {
	for (const [label, size] of WRITES) {
		test(`${label}: the waiting write cancelled -> 503 RestException, old value kept, the next write 204`, () =>
			assertWriteCancelled(s, 'localVariables', size, '57014', (release) => release.runWhenVardataWaits(
				"SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'vardata' AND wait_event_type = 'Lock';")));
	}
});

// lock_timeout set for vardata's sessions through the conninfo's options
// (a later --db wins over the harness's).
suite('lock_timeout in the conninfo', {
	workers: 1,
	vardataArgs: (stack) => ['--db', `${stack.conninfo} options='-c lock_timeout=300ms'`],
}, (s, test) => {
	for (const [label, size] of WRITES) {
		test(`${label}: the variable row locked longer -> 503 RestException, old value kept; released -> 204`, () =>
			assertWriteCancelled(s, 'variables', size, '55P03', (release, answer) => answer));
	}

	test('a GET while the variables table is locked -> 503 RestException; released -> 200', async () => {
		const task = s.uid('task');
		await s.createTask(task);
		await s.insertVariable({ name: 'kept', bytes: Buffer.from('kept'), taskId: task });
		const url = `${E}/task/${task}/variables/kept/data`;
		const session = await workerSession(s);
		const release = await s.holdLock('act_ru_variable');
		let answer;
		try {
			answer = await s.get(url);
		} finally {
			await release();
		}
		await assertCancelled(s, answer, '55P03', session);
		assertValue(await s.get(url), { contentType: 'application/octet-stream', body: 'kept' });
	});
});
