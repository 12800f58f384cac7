// Lookups that arrive together go to the database together (issue 5,
// src/store.c, vd_lookup_batch): the worker queues the lookups it takes in
// one turn and sends them in one recursive statement, which walks every
// chain at once.  Each lookup still costs one round trip (spec section 5),
// and each request must still get its own answer.
//
// The worker is stopped (SIGSTOP) while the requests reach its socket, so
// that it takes them all in one turn when it goes on.  Which statements
// ran, and with which parameters, is read from the cluster's log
// (log_min_duration_statement = 0 in the workers' sessions).

import assert from 'node:assert/strict';
import { suite } from './harness.mjs';
import { send } from './lib/load.mjs';
import { childrenOf, freeze, pendingConnections, pollUntil, signal } from './lib/procs.mjs';

const E = '/engine-rest';

// The harness's conninfo, with every statement of the workers' sessions logged (a later --db wins).
function withStatementLog(stack) {
	return ['--pipeline', '16', '--db', `${stack.conninfo} options='-c log_min_duration_statement=0'`];
}

// The executions of statement name in the cluster's log, each with its
// parameters as the log's DETAIL line shows them ($1 = '...', ...).
async function executions(stack, name) {
	const entries = await stack.postgresLogEntries();
	const out = [];
	for (const [i, entry] of entries.entries()) {
		if (!entry.includes(`execute ${name}:`))
			continue;
		const detail = entries.slice(i + 1, i + 3).find((e) => /DETAIL:\s+parameters:/.test(e)) || '';
		out.push(detail);
	}
	return out;
}

// The elements of the array literal a logged parameter $n holds.
function arrayParam(detail, n) {
	const m = detail.match(new RegExp(`\\$${n} = '\\{((?:[^']|'')*)\\}'`));
	assert.ok(m, `parameter $${n} in ${detail}`);
	const elems = [];
	const re = /"((?:[^"\\]|\\.)*)"|([^,]+)/g;
	let e;
	while ((e = re.exec(m[1].replace(/''/g, "'"))) !== null)
		elems.push(e[1] !== undefined ? e[1].replace(/\\(.)/g, '$1') : e[2]);
	return elems;
}

suite('lookups that arrive together', { workers: 1, vardataArgs: withStatementLog }, (s, test) => {
	const world = {};
	let worker;

	// GETs the worker takes in one turn: it is stopped until all of them
	// wait on its socket.  cases: [path, check of the answer].
	async function takenTogether(cases) {
		assert.ok(await freeze(worker), 'the worker stopped');
		let sent;
		try {
			sent = cases.map(([p]) => send(s.port, 'GET', `${E}${p}`));
			const queued = await pollUntil(() => (pendingConnections(s.socketPath) === cases.length ? true : null),
				20_000);
			assert.ok(queued, `all ${cases.length} requests wait on the socket (now ${pendingConnections(s.socketPath)})`);
		} finally {
			signal(worker, 'SIGCONT');
		}
		const answers = await Promise.all(sent);
		for (const [i, r] of answers.entries())
			assert.ok(cases[i][1](r), `${cases[i][0]}: its own answer, not status ${r.status} ${r.body}`);
	}

	test('fixtures: short and deep chains, a case task, a subtask, names and ids that need quoting', async () => {
		const w = world;
		w.pi = s.uid('pi');
		w.e1 = s.uid('e1');
		// A task two scopes below its process instance.
		w.short = s.uid('short');
		// A task five scopes below its process instance.
		w.d = [1, 2, 3, 4].map((i) => s.uid(`d${i}`));
		w.deep = s.uid('deep');
		w.ci = s.uid('ci');
		w.ce = s.uid('ce');
		w.ctask = s.uid('ctask');
		w.top = s.uid('top');
		w.sub = s.uid('sub');
		w.alone = s.uid('alone');
		// An id and a name with what an array literal must quote.
		w.odd = `${s.uid('odd')} "q,u\\o{t}e"`;
		w.oddName = 'a "name", with \\ {braces}';
		await s.createProcessInstance(w.pi, {
			children: [{ id: w.e1 }, { id: w.d[0], children: [{ id: w.d[1], children: [{ id: w.d[2],
				children: [{ id: w.d[3] }] }] }] }],
		});
		await s.createTask(w.short, { executionId: w.e1 });
		await s.createTask(w.deep, { executionId: w.d[3] });
		await s.createTask(w.odd, { executionId: w.e1 });
		await s.createCaseInstance(w.ci, { children: [{ id: w.ce }] });
		await s.createTask(w.ctask, { caseExecutionId: w.ce });
		await s.createTask(w.top);
		await s.createTask(w.sub, { parentTaskId: w.top });
		await s.createTask(w.alone);
		const put = (scope, name, value) => s.insertVariable({ name, bytes: Buffer.from(value), ...scope });
		await put({ executionId: w.pi }, 'v', 'at the instance');
		await put({ executionId: w.d[2] }, 'v2', 'at d3');
		await put({ executionId: w.pi }, 'v2', 'at the instance, shadowed for deep');
		await put({ taskId: w.short }, 'own', 'short\'s own');
		await put({ executionId: w.e1 }, 'own', 'shadowed by the task');
		await put({ executionId: w.pi }, w.oddName, 'odd name');
		await put({ taskId: w.odd }, 'own', 'odd task\'s own');
		await put({ caseExecutionId: w.ci }, 'v', 'at the case instance');
		await put({ taskId: w.top }, 'v', 'at the top task');
		[worker] = await childrenOf(s.proc.pid);
		assert.ok(worker, 'the one worker');
	});

	test('taken in one turn: the lookups go together, each once, each answer its own', async () => {
		const w = world;
		const enc = encodeURIComponent;
		const ok = (body) => (r) => r.status === 200 && r.body.toString() === body;
		const missing = (r) => r.status === 404 && r.headers['content-type'].startsWith('application/json');
		const cases = [
			[`/task/${w.short}/variables/v/data`, ok('at the instance')],
			[`/task/${w.short}/variables/own/data`, ok('short\'s own')],
			[`/task/${w.short}/localVariables/v/data`, missing],
			[`/task/${w.deep}/variables/v/data`, ok('at the instance')],
			[`/task/${w.deep}/variables/v2/data`, ok('at d3')],
			[`/task/${w.deep}/variables/nowhere/data`, missing],
			[`/task/${enc(w.odd)}/variables/${enc(w.oddName)}/data`, ok('odd name')],
			[`/task/${enc(w.odd)}/variables/own/data`, ok('odd task\'s own')],
			[`/task/${w.ctask}/variables/v/data`, ok('at the case instance')],
			[`/task/${w.sub}/variables/v/data`, ok('at the top task')],
			[`/task/${w.alone}/variables/v/data`, missing],
			[`/task/${s.uid('no-such-task')}/variables/v/data`, missing],
			[`/process-instance/${w.d[3]}/variables/v2/data`, ok('at d3')],
			[`/process-instance/${w.pi}/variables/v/data`, ok('at the instance')],
			[`/case-instance/${w.ce}/variables/v/data`, ok('at the case instance')],
		];
		const single = ['vd_lookup', 'vd_lookup_exec', 'vd_lookup_cexec'];
		const count = async () => {
			const n = { batch: (await executions(s, 'vd_lookup_batch')).length };
			for (const name of single)
				n[name] = (await executions(s, name)).length;
			return n;
		};
		const before = await count();
		await takenTogether(cases);

		// The log is written as the statements run; the answers came after them.
		const after = await count();
		const batches = (await executions(s, 'vd_lookup_batch')).slice(before.batch);
		const sizes = batches.map((d) => arrayParam(d, 1).length);
		const alone = single.reduce((n, name) => n + after[name] - before[name], 0);
		assert.equal(sizes.reduce((a, b) => a + b, 0) + alone, cases.length,
			`each lookup went to the database once (batches of ${sizes}, ${alone} alone)`);
		assert.ok(Math.max(...sizes) > 1, `lookups went together (batches of ${sizes})`);
		const ids = batches.flatMap((d) => arrayParam(d, 2));
		const names = batches.flatMap((d) => arrayParam(d, 3));
		assert.ok(ids.includes(w.odd) && names.includes(w.oddName),
			`the quoted id and name reached the database whole: ${JSON.stringify(ids)} ${JSON.stringify(names)}`);
	});

	test('a batch that fails (a cycle of parents in one chain) is sent again a lookup at a time: only that one fails', async () => {
		const w = world;
		// d1 -> d2 -> d3 -> d4 -> d1: a cycle below the instance, for the one task on d4.
		const cyclic = s.uid('cyclic');
		const ring = [1, 2, 3, 4].map((i) => s.uid(`r${i}`));
		await s.createProcessInstance(cyclic, {
			children: [{ id: ring[0], children: [{ id: ring[1], children: [{ id: ring[2], children: [{ id: ring[3] }] }] }] }],
		});
		const looped = s.uid('looped');
		await s.createTask(looped, { executionId: ring[3] });
		await s.sql(`update act_ru_execution set parent_id_ = '${ring[3]}' where id_ = '${ring[0]}'`);
		const ok = (body) => (r) => r.status === 200 && r.body.toString() === body;
		const cases = [
			[`/task/${w.short}/variables/v/data`, ok('at the instance')],
			[`/task/${looped}/variables/v/data`, (r) => r.status === 500 &&
				JSON.parse(r.body).type === 'RestException'],
			[`/task/${w.deep}/variables/v2/data`, ok('at d3')],
			[`/task/${w.sub}/variables/v/data`, ok('at the top task')],
		];
		// The errors the cluster logged for a chain that does not end.
		const errors = async () => (await s.postgresLogEntries())
			.filter((e) => /ERROR: .*scope chain longer than/.test(e)).length;
		const errorsBefore = await errors();
		try {
			await takenTogether(cases);
		} finally {
			await s.sql(`update act_ru_execution set parent_id_ = null where id_ = '${ring[0]}'`);
		}
		// The batch failed, then the looped lookup alone: the error is in the log twice.
		assert.equal(await errors() - errorsBefore, 2, 'the batch failed, then the looped lookup alone');
		assert.deepEqual(await childrenOf(s.proc.pid), [worker], 'the same worker serves on');
	});
});
