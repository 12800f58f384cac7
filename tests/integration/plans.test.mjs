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
import fsp from 'node:fs/promises';
import { suite } from './harness.mjs';

const E = '/engine-rest';

// The harness's conninfo, with auto_explain in each session (a later --db wins).
function withAutoExplain(stack) {
	return ['--db', `${stack.conninfo} options='-c session_preload_libraries=auto_explain` +
		` -c auto_explain.log_min_duration=0 -c auto_explain.log_nested_statements=off'`];
}

// The plans auto_explain logged for statements whose text starts with
// prefix: each the text after its "Query Text:" line.
async function plansOf(stack, prefix) {
	const log = await fsp.readFile(stack.postgresLog, 'utf8');
	return log.split(/\n(?=\S)/)
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
			['the lookup', 'WITH RECURSIVE chain', 1],
		]) {
			const plans = await plansOf(s, prefix);
			assert.equal(plans.length, runs, `auto_explain logged every run of ${what}`);
			for (const plan of plans) {
				assert.match(plan, /\$\d+/, `${what}: a generic plan, with parameters in it:\n${plan}`);
				assert.ok(!plan.includes(task), `${what}: no plan made for the task's id:\n${plan}`);
			}
		}
	});
});
