// Rules that need a stack started with non-default settings, or that stop
// its database, so they share one stack: the URL prefix is configurable
// (spec section 1: --base-path), one database connection per worker
// (section 1), every scope chain is resolved in one SQL round trip, not one
// query per level (section 5), and the new endpoints answer 503 while the
// database is down (section 8; the last test, as it stops PostgreSQL).  For the second, the workers' database
// sessions log every statement (PGOPTIONS, which libpq reads, sets
// log_statement = all for this file's processes only), and the tests count
// the statements a request ran in postgres.log.

import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { delay, suite } from './harness.mjs';
import { assertError, assertNoContent, assertValue } from './expect.mjs';

process.env.PGOPTIONS = '-c log_statement=all -c log_parameter_max_length=16';

const BASE = '/engine-rest/api';
const OCTET = 'application/octet-stream';
// A statement as log_statement logs it: a simple query or an execute of a
// prepared statement (the name is the statement's, e.g. vd_lookup).
const STATEMENT = /\bLOG:\s+(statement|execute [^:\s]+): (.*)$/;
// Bound of the wait for the pool to serve again after the outage (not a
// performance threshold).
const RECOVERY_DEADLINE_MS = 60_000;

suite('a configured base path; one SQL round trip per scope chain', { vardataArgs: ['--base-path', BASE] }, (s, test) => {

	// Runs fn (HTTP requests only: no psql inside) and returns the
	// statements the database logged meanwhile, as [kind, sql].  Each is
	// logged by the backend before it answers, so before vardata answers.
	async function statementsOf(fn) {
		const mark = (await fsp.stat(s.postgresLog)).size;
		await fn();
		const text = (await fsp.readFile(s.postgresLog)).subarray(mark).toString('utf8');
		return text.split('\n').map((l) => STATEMENT.exec(l)).filter(Boolean).map((m) => [m[1], m[2]]);
	}

	// ---- section 1: the prefix ----

	test('--base-path /engine-rest/api: the family answers below it (and below its /engine/default), not below /engine-rest', async () => {
		const pi = s.uid('pi');
		const exe = s.uid('exe');
		const ci = s.uid('ci');
		await s.createProcessInstance(pi, { children: [{ id: exe }] });
		await s.createCaseInstance(ci);
		const v = await s.insertVariable({ name: 'v', bytes: Buffer.from('based'), executionId: pi });
		assertValue(await s.get(`${BASE}/execution/${pi}/localVariables/v/data`), { contentType: OCTET, body: 'based' });
		assertValue(await s.get(`${BASE}/engine/default/process-instance/${exe}/variables/v/data`), { contentType: OCTET, body: 'based' });
		assertValue(await s.get(`${BASE}/variable-instance/${v.id}/data`), { contentType: OCTET, body: 'based' });
		assertNoContent(await s.putBytes(`${BASE}/case-execution/${ci}/localVariables/c/data`, Buffer.from('case')));
		assertValue(await s.get(`${BASE}/case-execution/${ci}/variables/c/data`), { contentType: OCTET, body: 'case' });
		assertError(await s.get(`${BASE}/engine/other/execution/${pi}/localVariables/v/data`), 404, 'RestException', 'No process engine available');
		for (const p of [
			`/engine-rest/execution/${pi}/localVariables/v/data`,
			`/engine-rest/engine/default/execution/${pi}/localVariables/v/data`,
			`/engine-rest/variable-instance/${v.id}/data`,
		]) {
			const res = await s.get(p);
			assertError(res, 404, 'RestException', /\S/);
			assert.notEqual(JSON.parse(res.body.toString()).message, 'No process engine available', p);
		}
		const put = await s.putBytes(`/engine-rest/case-execution/${ci}/localVariables/d/data`, Buffer.from('x'));
		assertError(put, 404, 'RestException', /\S/);
		assert.equal(await s.variable(ci, 'd'), null, 'nothing stored through the old prefix');
	});

	// ---- section 1: one pool, one connection per worker ----

	test('each worker of the pool holds one database connection (application_name vardata), no more after many requests', async () => {
		const task = s.uid('task');
		await s.createTask(task);
		await s.insertVariable({ name: 'c', bytes: Buffer.from('conn'), taskId: task });
		// Enough requests for every worker to have served some (and so to
		// be connected); a worker never opens a second connection.
		for (let i = 0; i < 20; i++)
			assertValue(await s.get(`${BASE}/task/${task}/localVariables/c/data`), { contentType: OCTET, body: 'conn' });
		await Promise.all(Array.from({ length: 8 }, () => s.get(`${BASE}/task/${task}/localVariables/c/data`)));
		assert.equal((await s.vardataSessions()).length, s.workers, `one session per worker (${s.workers} workers)`);
	});

	// ---- section 5: one round trip ----

	// Chains six scopes deep and one scope deep, for each kind of scope.
	async function chains() {
		const w = {
			pi: s.uid('pi'), e1: s.uid('e1'), e2: s.uid('e2'), e3: s.uid('e3'), task: s.uid('task'),
			pi0: s.uid('pi0'), task0: s.uid('task0'),
			ci: s.uid('ci'), c1: s.uid('c1'), c2: s.uid('c2'), c3: s.uid('c3'), ctask: s.uid('ctask'),
			top: s.uid('top'), mid: s.uid('mid'), low: s.uid('low'), leaf: s.uid('leaf'),
		};
		await s.createProcessInstance(w.pi, { children: [{ id: w.e1, children: [{ id: w.e2, children: [{ id: w.e3 }] }] }] });
		await s.createTask(w.task, { executionId: w.e3 });
		await s.createProcessInstance(w.pi0);
		await s.createTask(w.task0, { executionId: w.pi0 });
		await s.createCaseInstance(w.ci, { children: [{ id: w.c1, children: [{ id: w.c2, children: [{ id: w.c3 }] }] }] });
		await s.createTask(w.ctask, { caseExecutionId: w.c3 });
		await s.createTask(w.top);
		await s.createTask(w.mid, { parentTaskId: w.top });
		await s.createTask(w.low, { parentTaskId: w.mid });
		await s.createTask(w.leaf, { parentTaskId: w.low });
		for (const scope of [{ executionId: w.pi }, { executionId: w.pi0 }, { caseExecutionId: w.ci }, { taskId: w.top }])
			await s.insertVariable({ name: 'far', bytes: Buffer.from('at the root'), ...scope });
		return w;
	}

	test('a GET that finds its value at the top of a deep chain runs exactly one statement, a recursive query', async () => {
		const w = await chains();
		for (const p of [
			`${BASE}/task/${w.task}/variables/far/data`,
			`${BASE}/task/${w.task0}/variables/far/data`,
			`${BASE}/process-instance/${w.e3}/variables/far/data`,
			`${BASE}/case-execution/${w.c3}/variables/far/data`,
			`${BASE}/case-instance/${w.c3}/variables/far/data`,
			`${BASE}/task/${w.ctask}/variables/far/data`,
			`${BASE}/task/${w.leaf}/variables/far/data`,
		]) {
			const stmts = await statementsOf(async () => {
				assertValue(await s.get(p), { contentType: OCTET, body: 'at the root' });
			});
			assert.equal(stmts.length, 1, `${p}: one statement, got ${JSON.stringify(stmts.map((x) => x[0]))}`);
			assert.match(stmts[0][1], /^WITH RECURSIVE\b/i, `${p}: a recursive query`);
		}
		// A miss walks the whole chain too, in the same one statement.
		const miss = await statementsOf(async () => {
			assertError(await s.get(`${BASE}/task/${w.task}/variables/nowhere/data`), 404, 'InvalidRequestException',
				'task variable with name nowhere does not exist');
		});
		assert.equal(miss.length, 1, `a miss: ${JSON.stringify(miss.map((x) => x[0]))}`);
	});

	// Each write is the update alone, the whole write, or the update alone
	// and then (finding no variable) the whole write (src/store.c,
	// store_put_send): as many statements whatever the depth.
	const ONE_WRITE = [['execute vd_write'], ['execute vd_update_chain'], ['execute vd_update_chain', 'execute vd_write']];

	test('a non-local POST runs as many statements six scopes deep as one scope deep (the chain is one query)', async () => {
		const w = await chains();
		const check = async (p, name) => {
			const stmts = await statementsOf(async () => assertNoContent(await s.putBytes(p, Buffer.from(name))));
			const names = stmts.map((x) => x[0]);
			assert.ok(ONE_WRITE.some((seq) => isDeepStrictEqual(seq, names)),
				`${p}: the update alone, the whole write, or both, got ${JSON.stringify(names)}`);
			for (const [stmt, sql] of stmts)
				assert.match(sql, /^WITH RECURSIVE\b/i, `${p}: ${stmt} walks the chain in one recursive query`);
		};
		// New names (created at the root: a name of their own per chain) and
		// an existing one (updated at the root of each chain).
		for (const fresh of [true, false]) {
			const name = (label) => (fresh ? `new-${label}` : 'far');
			await check(`${BASE}/task/${w.task0}/variables/${name('shallow')}/data`, name('shallow'));
			for (const [i, [p, label, root]] of [
				[(n) => `${BASE}/task/${w.task}/variables/${n}/data`, 'task -> e3 -> e2 -> e1 -> pi', w.pi],
				[(n) => `${BASE}/task/${w.leaf}/variables/${n}/data`, 'task -> three parent tasks', w.top],
				[(n) => `${BASE}/case-execution/${w.c3}/variables/${n}/data`, 'c3 -> c2 -> c1 -> ci', w.ci],
				[(n) => `${BASE}/process-instance/${w.e3}/variables/${n}/data`, 'e3 -> e2 -> e1 -> pi', w.pi],
			].entries()) {
				const n = name(`chain${i}`);
				await check(p(n), n);
				const rows = await s.variables(n);
				assert.ok(rows.some((r) => r.var_scope_ === root), `${n} is at the root of ${label}`);
			}
		}
	});

	// ---- section 8: database unreachable ----

	test('database unreachable -> 503 RestException on every new endpoint (GET and POST); served again once it is back', async () => {
		const pi = s.uid('pi');
		const ci = s.uid('ci');
		await s.createProcessInstance(pi);
		await s.createCaseInstance(ci);
		const v = await s.insertVariable({ name: 'kept', bytes: Buffer.from('kept'), executionId: pi });
		await s.insertVariable({ name: 'kept', bytes: Buffer.from('kept'), caseExecutionId: ci });
		const gets = [
			`${BASE}/execution/${pi}/localVariables/kept/data`,
			`${BASE}/case-execution/${ci}/variables/kept/data`,
			`${BASE}/case-execution/${ci}/localVariables/kept/data`,
			`${BASE}/variable-instance/${v.id}/data`,
		];
		await s.stopDatabase();
		try {
			// Twice over, so that each of the two workers meets the outage.
			for (let round = 0; round < 2; round++) {
				for (const p of gets)
					assertError(await s.get(p), 503, 'RestException', /\S/);
				for (const p of gets.slice(0, 3))
					assertError(await s.putBytes(p.replace('/kept/', '/during/'), Buffer.from('x')), 503, 'RestException', /\S/);
			}
		} finally {
			await s.startDatabase();
		}
		const deadline = Date.now() + RECOVERY_DEADLINE_MS;
		let served = 0;
		let last = null;
		while (served < gets.length * 2 && Date.now() < deadline) {
			last = await s.get(gets[served % gets.length]);
			if (last.status === 200)
				served += 1;
			else
				await delay(100);
		}
		assert.equal(served, gets.length * 2, `served again (last: ${last && last.status} ${last && last.body.toString()})`);
		for (const p of gets)
			assertValue(await s.get(p), { contentType: OCTET, body: 'kept' });
		assert.deepEqual(await s.variables('during'), [], 'nothing was written during the outage');
	});
});
