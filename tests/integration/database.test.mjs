// Spec section 8, "database unreachable": 503 while PostgreSQL is down, and
// the workers reconnect by themselves once it is back (no restart).

import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import { delay, suite } from './harness.mjs';
import { assertError, assertNoContent, assertValue } from './expect.mjs';

const E = '/engine-rest';
// Bounds of the wait for recovery; not a performance threshold.
const RECOVERY_DEADLINE_MS = 60_000;
const CONSECUTIVE_OK = 10;

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
		const logged = (await fsp.stat(s.vardataLog)).size;
		try {
			assertNoContent(await s.putBytes(`${E}/task/${task}/localVariables/audited/data`, Buffer.from('x')));
		} finally {
			await s.sql('DROP TRIGGER vd_test_notice ON act_ru_variable; DROP FUNCTION vd_test_notice();');
		}
		const lines = (await fsp.readFile(s.vardataLog)).subarray(logged).toString().split('\n').filter((l) => l !== '');
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
