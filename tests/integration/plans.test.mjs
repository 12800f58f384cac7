// The workers' database sessions keep the generic plans of their prepared
// statements (src/store.c, st_session_settings).  Left to choose,
// PostgreSQL plans a prepared statement's first five executions for the
// values they had, then keeps the generic plan only if it looks no dearer;
// for the write statements the two nearly tie, and on the wrong side every
// write is planned again.  With plan_cache_mode = force_generic_plan the
// first execution already runs the generic plan.
//
// auto_explain, loaded into the workers' sessions through the conninfo's
// options, writes every plan they run to the cluster's log.  A generic plan
// shows the statement's parameters ($1, $3 ...); a plan made for the values
// shows the values, here the task's id.

import assert from 'node:assert/strict';
import { suite } from './harness.mjs';
import { assertError, assertNoContent } from './expect.mjs';

const E = '/engine-rest';

// The harness's conninfo, with auto_explain in each session (a later --db wins).
function withAutoExplain(stack) {
	return ['--db', `${stack.conninfo} options='-c session_preload_libraries=auto_explain` +
		` -c auto_explain.log_min_duration=0 -c auto_explain.log_nested_statements=off'`];
}

// The plans auto_explain logged for statements whose text starts with
// prefix: each the text after its "Query Text:" line.
async function plansOf(stack, prefix) {
	return (await stack.postgresLogEntries())
		.filter((entry) => entry.includes(`Query Text: ${prefix}`))
		.map((entry) => entry.slice(entry.indexOf('\n', entry.indexOf('Query Text:')) + 1));
}

suite('the workers keep generic plans', { workers: 1, vardataArgs: withAutoExplain }, (s, test) => {
	test('the first executions of a local write and of a lookup run their generic plans', async () => {
		const task = s.uid('task');
		await s.createTask(task);
		const url = `${E}/task/${task}/localVariables/v/data`;
		for (const value of ['first', 'second', 'third'])
			assert.equal((await s.putBytes(url, Buffer.from(value))).status, 204);
		const r = await s.get(url);
		assert.equal(r.status, 200);
		assert.equal(r.body.toString(), 'third');

		for (const [what, prefix, runs] of [
			['the local write to a task', 'WITH s(id', 3],
			['the update alone (the first write tried it)', 'WITH hit', 1],
			['the lookup', 'WITH RECURSIVE chain', 1],
		]) {
			const plans = await plansOf(s, prefix);
			assert.equal(plans.length, runs, `auto_explain logged every run of ${what}`);
			for (const plan of plans) {
				assert.match(plan, /\$\d+/, `${what}: a generic plan, with parameters in it:\n${plan}`);
				assert.ok(!plan.includes(task), `${what}: no plan made for the task's id:\n${plan}`);
				// This database's tables are small: left to choose, the planner scans them whole.
				assert.ok(!plan.includes('Seq Scan'), `${what}: indexes only:\n${plan}`);
			}
		}
	});
});

// A worker sends the update of a variable alone, without the insert it
// would need for a new one, when its last writes mostly found their
// variable (src/store.c, store_put_send): a two-bit counter, up on a write
// that updated, down on one that inserted or found no variable; at 2 and
// up, the update goes alone.  When it finds no variable, the whole write
// follows.  Which statement each POST sent is read from the plans
// auto_explain logged: the whole write is the one that can insert into
// act_ru_variable.
async function writesSent(stack) {
	return (await stack.postgresLogEntries())
		.filter((entry) => /Query Text: .*UPDATE act_ru_variable/.test(entry))
		.map((entry) => (/Query Text: .*INSERT INTO act_ru_variable/.test(entry) ? 'whole' : 'update'));
}

suite('a worker that expects an update sends it alone', { workers: 1, vardataArgs: withAutoExplain }, (s, test) => {
	// The statements sent since the last call.
	let seen = 0;
	const sentSince = async () => {
		const all = await writesSent(s);
		const fresh = all.slice(seen);
		seen = all.length;
		return fresh;
	};
	const post = async (url, value) => {
		const r = await s.putBytes(url, Buffer.from(value));
		assert.equal(r.status, 204, `${url}: ${r.body}`);
	};
	// Two updates in a row leave the counter at 2 or 3, whatever it was.
	const expectUpdates = async (url) => {
		await post(url, 'warm 1');
		await post(url, 'warm 2');
		await sentSince();
	};

	for (const [label, make] of [
		['task localVariables', async () => {
			const task = s.uid('task');
			await s.createTask(task);
			return { scope: task, task, url: (n) => `${E}/task/${task}/localVariables/${n}/data` };
		}],
		['execution localVariables', async () => {
			const pi = s.uid('pi');
			await s.createProcessInstance(pi, { children: [{ id: `${pi}-x` }] });
			return { scope: `${pi}-x`, url: (n) => `${E}/execution/${pi}-x/localVariables/${n}/data` };
		}],
		['case-execution localVariables', async () => {
			const ci = s.uid('ci');
			await s.createCaseInstance(ci, { children: [{ id: `${ci}-c` }] });
			return { scope: `${ci}-c`, url: (n) => `${E}/case-execution/${ci}-c/localVariables/${n}/data` };
		}],
		['task variables (the chain; new variables go to the process instance)', async () => {
			const pi = s.uid('pi');
			await s.createProcessInstance(pi, { children: [{ id: `${pi}-x` }] });
			const task = s.uid('task');
			await s.createTask(task, { executionId: `${pi}-x` });
			return { scope: pi, url: (n) => `${E}/task/${task}/variables/${n}/data` };
		}],
	]) {
		test(`${label}: the update alone after updates, the whole write after it finds none or after first writes`, async () => {
			const t = await make();
			await post(t.url('warm'), 'first');
			await expectUpdates(t.url('warm'));

			await post(t.url('a'), 'a1');
			assert.deepEqual(await sentSince(), ['update', 'whole'], 'a new variable: the update finds none, the whole write follows');
			await post(t.url('b'), 'b1');
			assert.deepEqual(await sentSince(), ['whole'], 'after a first write, the next new variable: the whole write at once');
			await post(t.url('a'), 'a2');
			await post(t.url('a'), 'a3');
			assert.deepEqual(await sentSince(), ['whole', 'whole'], 'after first writes, updates start with the whole write');
			await post(t.url('a'), 'a4');
			assert.deepEqual(await sentSince(), ['update'], 'after two updates: the update alone');

			for (const [name, value, rev] of [['a', 'a4', 4], ['b', 'b1', 1], ['warm', 'warm 2', 3]]) {
				const v = await s.variable(t.scope, name);
				assert.ok(v, `variable ${name} in ${t.scope}`);
				assert.equal(v.rev_, rev, `${name}: REV_`);
				assert.equal(v.sequence_counter_, rev, `${name}: SEQUENCE_COUNTER_`);
				assert.equal((await s.bytearray(v.bytearray_id_)).bytes.toString(), value);
				const r = await s.get(t.url(name));
				assert.equal(r.status, 200);
				assert.equal(r.body.toString(), value);
			}
			if (t.task)
				assert.equal((await s.task(t.task)).rev_, 9, 'each of the eight writes touched the task');
			assert.deepEqual(await s.orphanBytearrays(), [], 'no stray byte array');
		});
	}

	// The update alone waits for the variable's row like the whole write:
	// an engine that completes the task deletes its variables and the task.
	test('the update alone waits for a task that is being deleted -> 500 "Cannot put ...", nothing stored', async () => {
		const t = await s.taskTarget();
		await post(t.url('gone'), 'first');
		await expectUpdates(t.url('gone'));
		const answer = s.answerAfterLockWait(`SELECT bytearray_id_ AS old FROM act_ru_variable
				WHERE task_id_ = '${t.task}' \\gset
			DELETE FROM act_ru_variable WHERE task_id_ = '${t.task}';
			DELETE FROM act_ge_bytearray WHERE id_ = :'old';
			DELETE FROM act_ru_task WHERE id_ = '${t.task}';`,
			() => s.putBytes(t.url('gone'), Buffer.from('late')), 'the variable row the delete holds');
		assertError(await answer, 500, 'RestException',
			`Cannot put task variable gone: task ${t.task} doesn't exist: task is null`, 0);
		assert.deepEqual(await sentSince(), ['update', 'whole'], 'the update found none, the whole write no task');
		await s.assertNothingStored(t, 'gone');
	});

	// An engine's update of the same variable commits while the update
	// waits for the row: the row it then locks points at a byte array its
	// snapshot cannot see, so it writes nothing and the write is done again.
	test('the update alone meets a concurrent update: done again, the last write wins, no stray byte array', async () => {
		const t = await s.taskTarget();
		await post(t.url('hot'), 'first');
		await expectUpdates(t.url('hot'));
		const answer = s.answerAfterLockWait(`INSERT INTO act_ge_bytearray (id_, rev_, name_, bytes_, type_, create_time_)
			VALUES ('engine-${t.task}', 1, 'hot', '\\x656e67696e65', 2, now());
			SELECT bytearray_id_ AS old FROM act_ru_variable WHERE var_scope_ = '${t.task}' AND name_ = 'hot' \\gset
			UPDATE act_ru_variable SET bytearray_id_ = 'engine-${t.task}', rev_ = rev_ + 1,
				sequence_counter_ = sequence_counter_ + 1 WHERE var_scope_ = '${t.task}' AND name_ = 'hot';
			DELETE FROM act_ge_bytearray WHERE id_ = :'old';`,
			() => s.putBytes(t.url('hot'), Buffer.from('ours')), 'the variable row the engine holds');
		assertNoContent(await answer);
		const sent = await sentSince();
		assert.equal(sent[0], 'update', `the update alone went first: ${sent}`);
		const v = await s.variable(t.task, 'hot');
		assert.equal(v.rev_, 5, 'three writes, the engine\'s update, ours');
		assert.equal((await s.bytearray(v.bytearray_id_)).bytes.toString(), 'ours');
		assert.equal(await s.bytearray(`engine-${t.task}`), null, 'the engine\'s byte array, replaced, is gone');
		assert.deepEqual(await s.orphanBytearrays(), [], 'no stray byte array');
	});
});
