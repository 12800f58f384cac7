// Spec section 5: which variable a read finds and where a write lands,
// through the scope chains task -> execution -> parent executions -> process
// instance, task -> case execution -> case instance, task -> parent tasks.

import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import { suite } from './harness.mjs';
import { assertError, assertNoContent, assertValue } from './expect.mjs';

const E = '/engine-rest';
const OCTET = 'application/octet-stream';

suite('visibility and where writes land', {}, (s, test) => {
	// pi -> e1 -> e2 -> task (a user task deep in a process).
	async function processWorld() {
		const w = { pi: s.uid('pi'), e1: s.uid('e1'), e2: s.uid('e2'), task: s.uid('task') };
		await s.createProcessInstance(w.pi, { children: [{ id: w.e1, children: [{ id: w.e2 }] }] });
		await s.createTask(w.task, { executionId: w.e2 });
		return w;
	}

	// ci -> ce, and a case task on ce.
	async function caseWorld() {
		const w = { ci: s.uid('ci'), ce: s.uid('ce'), task: s.uid('ctask') };
		await s.createCaseInstance(w.ci, { children: [{ id: w.ce }] });
		await s.createTask(w.task, { caseExecutionId: w.ce });
		return w;
	}

	// A standalone task top, its subtask mid, and mid's subtask leaf.
	async function taskTree() {
		const w = { top: s.uid('top'), mid: s.uid('mid'), leaf: s.uid('leaf') };
		await s.createTask(w.top);
		await s.createTask(w.mid, { parentTaskId: w.top });
		await s.createTask(w.leaf, { parentTaskId: w.mid });
		return w;
	}

	const put = (scope, name, value) => s.insertVariable({ name, bytes: Buffer.from(value), ...scope });
	const readsAs = async (p, value) => assertValue(await s.get(p), { contentType: OCTET, body: value });
	const post = async (p, value) => assertNoContent(await s.putBytes(p, Buffer.from(value)));

	async function valueOf(row) {
		const ba = await s.bytearray(row.bytearray_id_);
		return ba.bytes.toString();
	}

	// ---- reads ----

	test('task variables: sees the task, its execution, the parent executions and the process instance', async () => {
		const w = await processWorld();
		await put({ taskId: w.task }, 'atTask', 'task value');
		await put({ executionId: w.e2 }, 'atE2', 'e2 value');
		await put({ executionId: w.e1 }, 'atE1', 'e1 value');
		await put({ executionId: w.pi }, 'atPi', 'pi value');
		for (const [n, v] of [['atTask', 'task value'], ['atE2', 'e2 value'], ['atE1', 'e1 value'], ['atPi', 'pi value']])
			await readsAs(`${E}/task/${w.task}/variables/${n}/data`, v);
	});

	test('task variables: the nearest scope that has the name wins (shadowing)', async () => {
		const w = await processWorld();
		for (const [scope, label] of [[{ executionId: w.pi }, 'pi'], [{ executionId: w.e1 }, 'e1']])
			await put(scope, 's1', label);
		for (const [scope, label] of [[{ executionId: w.pi }, 'pi'], [{ executionId: w.e2 }, 'e2'], [{ taskId: w.task }, 'task']])
			await put(scope, 's2', label);
		for (const [scope, label] of [[{ executionId: w.pi }, 'pi'], [{ executionId: w.e1 }, 'e1'], [{ executionId: w.e2 }, 'e2']])
			await put(scope, 's3', label);
		await readsAs(`${E}/task/${w.task}/variables/s1/data`, 'e1');
		await readsAs(`${E}/task/${w.task}/variables/s2/data`, 'task');
		await readsAs(`${E}/task/${w.task}/variables/s3/data`, 'e2');
	});

	// Five executions deep: the nearest scope wins at any depth, and many
	// such lookups pipelined together are each answered with their own value.
	test('task variables: a deep chain (pi -> e1 -> e2 -> e3 -> e4 -> task), nearest wins, also pipelined', async () => {
		const w = { pi: s.uid('pi'), task: s.uid('task') };
		const e = [1, 2, 3, 4].map((i) => s.uid(`e${i}`));
		await s.createProcessInstance(w.pi,
			{ children: [{ id: e[0], children: [{ id: e[1], children: [{ id: e[2], children: [{ id: e[3] }] }] }] }] });
		await s.createTask(w.task, { executionId: e[3] });
		await put({ executionId: w.pi }, 'atPi', 'pi value');
		await put({ executionId: e[0] }, 'atE1', 'e1 value');
		await put({ executionId: e[1] }, 'atE2', 'e2 value');
		await put({ executionId: w.pi }, 'shadowed', 'pi');
		await put({ executionId: e[1] }, 'shadowed', 'e2');
		await put({ executionId: w.pi }, 'high', 'pi');
		await put({ executionId: e[0] }, 'high', 'e1');
		const expect = { atPi: 'pi value', atE1: 'e1 value', atE2: 'e2 value', shadowed: 'e2', high: 'e1' };
		for (const [n, v] of Object.entries(expect))
			await readsAs(`${E}/task/${w.task}/variables/${n}/data`, v);
		assertError(await s.get(`${E}/task/${w.task}/variables/nowhere/data`), 404, 'InvalidRequestException',
			'task variable with name nowhere does not exist');
		const names = Object.keys(expect);
		const order = Array.from({ length: 40 }, (_, i) => names[i % names.length]);
		const answers = await Promise.all(order.map((n) => s.get(`${E}/task/${w.task}/variables/${n}/data`)));
		answers.forEach((res, i) => assertValue(res, { contentType: OCTET, body: expect[order[i]] }));
	});

	test('task variables: another task\'s local variable on the same execution is not visible', async () => {
		const w = await processWorld();
		const sibling = s.uid('sibling');
		await s.createTask(sibling, { executionId: w.e2 });
		await put({ taskId: sibling }, 'siblingOnly', 'nope');
		assertError(await s.get(`${E}/task/${w.task}/variables/siblingOnly/data`), 404, 'InvalidRequestException',
			'task variable with name siblingOnly does not exist');
	});

	test('task localVariables: the task only, never its execution or process instance', async () => {
		const w = await processWorld();
		await put({ executionId: w.e2 }, 'upE2', 'e2');
		await put({ executionId: w.pi }, 'upPi', 'pi');
		for (const n of ['upE2', 'upPi']) {
			assertError(await s.get(`${E}/task/${w.task}/localVariables/${n}/data`), 404, 'InvalidRequestException',
				`task variable with name ${n} does not exist`);
		}
		await put({ taskId: w.task }, 'upPi', 'task');
		await readsAs(`${E}/task/${w.task}/localVariables/upPi/data`, 'task');
	});

	test('process-instance: a task-local variable (TASK_ID_ set, EXECUTION_ID_ = the instance) is not the instance\'s', async () => {
		const pi = s.uid('pi');
		const task = s.uid('task');
		await s.createProcessInstance(pi);
		await s.createTask(task, { executionId: pi });
		await put({ taskId: task }, 'taskLocal', 'task only');
		assertError(await s.get(`${E}/process-instance/${pi}/variables/taskLocal/data`), 404, 'InvalidRequestException',
			'process instance variable with name taskLocal does not exist');
		await readsAs(`${E}/task/${task}/variables/taskLocal/data`, 'task only');
	});

	test('process-instance: does not see variables of child executions', async () => {
		const w = await processWorld();
		await put({ executionId: w.e1 }, 'childOnly', 'e1');
		assertError(await s.get(`${E}/process-instance/${w.pi}/variables/childOnly/data`), 404, 'InvalidRequestException',
			'process instance variable with name childOnly does not exist');
	});

	test('process-instance/{id} with a child execution id: that execution and its parents', async () => {
		const w = await processWorld();
		await put({ executionId: w.pi }, 'fromPi', 'pi');
		await put({ executionId: w.e1 }, 'fromE1', 'e1');
		await put({ executionId: w.pi }, 'shadow', 'pi');
		await put({ executionId: w.e2 }, 'shadow', 'e2');
		await readsAs(`${E}/process-instance/${w.e2}/variables/fromPi/data`, 'pi');
		await readsAs(`${E}/process-instance/${w.e2}/variables/fromE1/data`, 'e1');
		await readsAs(`${E}/process-instance/${w.e2}/variables/shadow/data`, 'e2');
		await readsAs(`${E}/process-instance/${w.e1}/variables/shadow/data`, 'pi');
	});

	test('never crosses SUPER_EXEC_ into the calling process', async () => {
		const w = await processWorld();
		await put({ executionId: w.pi }, 'callerVar', 'caller');
		await put({ executionId: w.e1 }, 'callerExec', 'caller e1');
		const sub = s.uid('subpi');
		const subTask = s.uid('subtask');
		await s.createProcessInstance(sub, { superExec: w.e1 });
		await s.createTask(subTask, { executionId: sub });
		for (const n of ['callerVar', 'callerExec']) {
			assertError(await s.get(`${E}/task/${subTask}/variables/${n}/data`), 404, 'InvalidRequestException',
				`task variable with name ${n} does not exist`);
			assertError(await s.get(`${E}/process-instance/${sub}/variables/${n}/data`), 404, 'InvalidRequestException',
				`process instance variable with name ${n} does not exist`);
		}
	});

	test('task variables: task -> case execution -> case instance, nearest wins', async () => {
		const w = await caseWorld();
		await put({ caseExecutionId: w.ci }, 'atCi', 'ci');
		await put({ caseExecutionId: w.ce }, 'atCe', 'ce');
		await put({ caseExecutionId: w.ci }, 'both', 'ci');
		await put({ caseExecutionId: w.ce }, 'both', 'ce');
		await readsAs(`${E}/task/${w.task}/variables/atCi/data`, 'ci');
		await readsAs(`${E}/task/${w.task}/variables/atCe/data`, 'ce');
		await readsAs(`${E}/task/${w.task}/variables/both/data`, 'ce');
		assertError(await s.get(`${E}/task/${w.task}/localVariables/atCi/data`), 404, 'InvalidRequestException',
			'task variable with name atCi does not exist');
	});

	test('case-instance: its own variables only from the instance; a child case execution id also sees its parents', async () => {
		const w = await caseWorld();
		await put({ caseExecutionId: w.ci }, 'ciVar', 'ci');
		await put({ caseExecutionId: w.ce }, 'ceVar', 'ce');
		await put({ taskId: w.task }, 'taskVar', 'task');
		await readsAs(`${E}/case-instance/${w.ci}/variables/ciVar/data`, 'ci');
		await readsAs(`${E}/case-instance/${w.ce}/variables/ciVar/data`, 'ci');
		await readsAs(`${E}/case-instance/${w.ce}/variables/ceVar/data`, 'ce');
		for (const n of ['ceVar', 'taskVar']) {
			assertError(await s.get(`${E}/case-instance/${w.ci}/variables/${n}/data`), 404, 'InvalidRequestException',
				`case execution variable with name ${n} does not exist`);
		}
	});

	test('task variables: task -> parent task -> its parent task, nearest wins', async () => {
		const w = await taskTree();
		await put({ taskId: w.top }, 'fromTop', 'top');
		await put({ taskId: w.top }, 'both', 'top');
		await put({ taskId: w.mid }, 'both', 'mid');
		await readsAs(`${E}/task/${w.leaf}/variables/fromTop/data`, 'top');
		await readsAs(`${E}/task/${w.leaf}/variables/both/data`, 'mid');
		await readsAs(`${E}/task/${w.top}/variables/both/data`, 'top');
		assertError(await s.get(`${E}/task/${w.leaf}/localVariables/fromTop/data`), 404, 'InvalidRequestException',
			'task variable with name fromTop does not exist');
		assertError(await s.get(`${E}/task/${w.mid}/variables/leafOnly/data`), 404, 'InvalidRequestException',
			'task variable with name leafOnly does not exist');
	});

	// ---- writes ----

	test('task localVariables POST: lands in the task even when a parent scope has the name', async () => {
		const w = await processWorld();
		const parent = await put({ executionId: w.e2 }, 'shared', 'execution value');
		await post(`${E}/task/${w.task}/localVariables/shared/data`, 'task value');
		const rows = await s.variables('shared');
		assert.deepEqual(rows.map((r) => [r.var_scope_, r.task_id_]).sort(), [[w.e2, null], [w.task, w.task]].sort());
		const execRow = rows.find((r) => r.var_scope_ === w.e2);
		assert.equal(execRow.rev_, 1, 'the execution\'s variable is untouched');
		assert.equal(execRow.bytearray_id_, parent.bytearrayId);
		await readsAs(`${E}/task/${w.task}/localVariables/shared/data`, 'task value');
		await readsAs(`${E}/process-instance/${w.e2}/variables/shared/data`, 'execution value');
	});

	test('task variables POST: updates the task\'s own variable when it has one', async () => {
		const w = await processWorld();
		await put({ taskId: w.task }, 'own', 'old');
		await put({ executionId: w.pi }, 'own', 'pi');
		await post(`${E}/task/${w.task}/variables/own/data`, 'new');
		const rows = await s.variables('own');
		const byScope = Object.fromEntries(rows.map((r) => [r.var_scope_, r]));
		assert.equal(byScope[w.task].rev_, 2);
		assert.equal(await valueOf(byScope[w.task]), 'new');
		assert.equal(byScope[w.pi].rev_, 1);
		assert.equal(await valueOf(byScope[w.pi]), 'pi');
	});

	test('task variables POST: updates the nearest execution up the chain that has the name', async () => {
		const w = await processWorld();
		await put({ executionId: w.e1 }, 'mid', 'e1 old');
		await put({ executionId: w.pi }, 'mid', 'pi old');
		await post(`${E}/task/${w.task}/variables/mid/data`, 'e1 new');
		const byScope = Object.fromEntries((await s.variables('mid')).map((r) => [r.var_scope_, r]));
		assert.deepEqual(Object.keys(byScope).sort(), [w.e1, w.pi].sort(), 'no new row');
		assert.equal(await valueOf(byScope[w.e1]), 'e1 new');
		assert.equal(byScope[w.e1].rev_, 2);
		assert.equal(await valueOf(byScope[w.pi]), 'pi old');
		assert.equal(byScope[w.pi].rev_, 1);
	});

	test('task variables POST: a new name is created in the process instance', async () => {
		const w = await processWorld();
		await post(`${E}/task/${w.task}/variables/fresh/data`, 'top');
		const rows = await s.variables('fresh');
		assert.equal(rows.length, 1);
		assert.equal(rows[0].var_scope_, w.pi);
		assert.equal(rows[0].execution_id_, w.pi);
		assert.equal(rows[0].task_id_, null);
		await readsAs(`${E}/process-instance/${w.pi}/variables/fresh/data`, 'top');
		await readsAs(`${E}/task/${w.task}/variables/fresh/data`, 'top');
	});

	test('task variables POST: a task-local variable of another task does not count; new name goes to the instance', async () => {
		const w = await processWorld();
		const sibling = s.uid('sibling');
		await s.createTask(sibling, { executionId: w.e2 });
		await put({ taskId: sibling }, 'sib', 'sibling');
		await post(`${E}/task/${w.task}/variables/sib/data`, 'mine');
		const byScope = Object.fromEntries((await s.variables('sib')).map((r) => [r.var_scope_, r]));
		assert.deepEqual(Object.keys(byScope).sort(), [sibling, w.pi].sort());
		assert.equal(await valueOf(byScope[sibling]), 'sibling');
		assert.equal(byScope[sibling].rev_, 1);
	});

	test('task variables POST on a case task: updates the case execution that has it, else creates in the case instance', async () => {
		const w = await caseWorld();
		await put({ caseExecutionId: w.ce }, 'onCe', 'old');
		await post(`${E}/task/${w.task}/variables/onCe/data`, 'new');
		const onCe = await s.variables('onCe');
		assert.equal(onCe.length, 1);
		assert.equal(onCe[0].var_scope_, w.ce);
		assert.equal(onCe[0].rev_, 2);
		assert.equal(await valueOf(onCe[0]), 'new');

		await post(`${E}/task/${w.task}/variables/caseNew/data`, 'case top');
		const created = await s.variables('caseNew');
		assert.equal(created.length, 1);
		assert.equal(created[0].var_scope_, w.ci);
		assert.equal(created[0].case_execution_id_, w.ci);
		assert.equal(created[0].task_id_, null);
		await readsAs(`${E}/case-instance/${w.ci}/variables/caseNew/data`, 'case top');
	});

	test('task variables POST on a subtask: updates the nearest parent task that has it, else creates in the top task', async () => {
		const w = await taskTree();
		await put({ taskId: w.mid }, 'inMid', 'old');
		await put({ taskId: w.top }, 'inMid', 'top');
		await post(`${E}/task/${w.leaf}/variables/inMid/data`, 'new');
		const byScope = Object.fromEntries((await s.variables('inMid')).map((r) => [r.var_scope_, r]));
		assert.deepEqual(Object.keys(byScope).sort(), [w.mid, w.top].sort());
		assert.equal(await valueOf(byScope[w.mid]), 'new');
		assert.equal(await valueOf(byScope[w.top]), 'top');

		await post(`${E}/task/${w.leaf}/variables/treeNew/data`, 'at top');
		const created = await s.variables('treeNew');
		assert.equal(created.length, 1);
		assert.equal(created[0].var_scope_, w.top);
		assert.equal(created[0].task_id_, w.top);
	});

	test('task variables POST on a standalone task: a new name is created in the task itself', async () => {
		const t = s.uid('alone');
		await s.createTask(t);
		await post(`${E}/task/${t}/variables/solo/data`, 'solo');
		const rows = await s.variables('solo');
		assert.equal(rows.length, 1);
		assert.equal(rows[0].var_scope_, t);
		assert.equal(rows[0].task_id_, t);
		await readsAs(`${E}/task/${t}/localVariables/solo/data`, 'solo');
	});

	test('process-instance POST: creates in the instance; a task-local row of the same name is left alone', async () => {
		const pi = s.uid('pi');
		const task = s.uid('task');
		await s.createProcessInstance(pi);
		await s.createTask(task, { executionId: pi });
		await put({ taskId: task }, 'q', 'task');
		await post(`${E}/process-instance/${pi}/variables/q/data`, 'instance');
		const byScope = Object.fromEntries((await s.variables('q')).map((r) => [r.var_scope_, r]));
		assert.deepEqual(Object.keys(byScope).sort(), [pi, task].sort());
		assert.equal(await valueOf(byScope[pi]), 'instance');
		assert.equal(byScope[pi].task_id_, null);
		assert.equal(await valueOf(byScope[task]), 'task');
		assert.equal(byScope[task].rev_, 1);
	});

	test('process-instance POST with a child execution id: nearest execution that has it, else the root', async () => {
		const w = await processWorld();
		await put({ executionId: w.e1 }, 'upd', 'old');
		await post(`${E}/process-instance/${w.e2}/variables/upd/data`, 'new');
		const upd = await s.variables('upd');
		assert.equal(upd.length, 1);
		assert.equal(upd[0].var_scope_, w.e1);
		assert.equal(await valueOf(upd[0]), 'new');

		await post(`${E}/process-instance/${w.e2}/variables/rootNew/data`, 'root');
		const created = await s.variables('rootNew');
		assert.equal(created.length, 1);
		assert.equal(created[0].var_scope_, w.pi);
	});

	test('case-instance POST: creates in the case instance; a child case execution id updates the nearest, else the root', async () => {
		const w = await caseWorld();
		await post(`${E}/case-instance/${w.ci}/variables/c1/data`, 'ci');
		const c1 = await s.variables('c1');
		assert.equal(c1.length, 1);
		assert.equal(c1[0].var_scope_, w.ci);

		await post(`${E}/case-instance/${w.ce}/variables/c1/data`, 'ci again');
		const again = await s.variables('c1');
		assert.equal(again.length, 1, 'updated, not created');
		assert.equal(again[0].rev_, 2);
		assert.equal(await valueOf(again[0]), 'ci again');

		await post(`${E}/case-instance/${w.ce}/variables/c2/data`, 'root');
		const c2 = await s.variables('c2');
		assert.equal(c2.length, 1);
		assert.equal(c2[0].var_scope_, w.ci);
	});

	// ---- long chains and cycles ----

	// pi -> d1 -> ... -> dN -> task; returns the ids.
	async function deepWorld(n) {
		const w = { pi: s.uid('pi'), d: Array.from({ length: n }, () => s.uid('d')), task: s.uid('task') };
		let children = [];
		for (const id of [...w.d].reverse())
			children = [{ id, children }];
		await s.createProcessInstance(w.pi, { children });
		await s.createTask(w.task, { executionId: w.d[n - 1] });
		return w;
	}

	test('a chain of 300 executions is walked to its root, both ways', async () => {
		const w = await deepWorld(300);
		await put({ executionId: w.pi }, 'deepTop', 'top value');
		await readsAs(`${E}/task/${w.task}/variables/deepTop/data`, 'top value');
		await readsAs(`${E}/process-instance/${w.d[299]}/variables/deepTop/data`, 'top value');
		await post(`${E}/task/${w.task}/variables/deepTop/data`, 'updated');
		const top = await s.variables('deepTop');
		assert.equal(top.length, 1, 'updated where it is, not created again');
		assert.equal(top[0].var_scope_, w.pi);
		assert.equal(await valueOf(top[0]), 'updated');
		await post(`${E}/task/${w.task}/variables/deepNew/data`, 'new');
		const created = await s.variables('deepNew');
		assert.equal(created.length, 1);
		assert.equal(created[0].var_scope_, w.pi, 'a new name lands in the process instance');
	});

	test('a cycle of parents fails the request with 500 and writes nothing; the worker serves on', async () => {
		const w = await deepWorld(3);
		await s.sql(`update act_ru_execution set parent_id_ = '${w.d[2]}' where id_ = '${w.pi}'`);
		try {
			assertError(await s.get(`${E}/task/${w.task}/variables/nowhere/data`), 500, 'RestException',
				'internal error, see the service log');
			assertError(await s.putBytes(`${E}/task/${w.task}/variables/cyclic/data`, Buffer.from('x')), 500,
				'RestException', 'internal error, see the service log');
			assert.deepEqual(await s.variables('cyclic'), [], 'nothing written');
			assert.match(await fsp.readFile(s.vardataLog, 'utf8'), /scope chain longer than 1000 steps/);
		} finally {
			await s.sql(`update act_ru_execution set parent_id_ = null where id_ = '${w.pi}'`);
		}
		await put({ executionId: w.pi }, 'afterCycle', 'fine');
		await readsAs(`${E}/task/${w.task}/variables/afterCycle/data`, 'fine');
	});
});
