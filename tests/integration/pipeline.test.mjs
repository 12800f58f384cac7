// Several requests on one worker at once (--pipeline, issue 5).  A worker
// keeps up to --pipeline requests open and pipelines their lookups on its
// one database connection; the answers come back in order and each request
// must get its own.  A lock on ACT_GE_BYTEARRAY holds the database back, so
// that the requests pile up in the worker before any is answered.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { multipart, suite } from './harness.mjs';
import { send } from './lib/load.mjs';
import { childrenOf, freeze, pendingConnections, pollUntil, signal, socketCount } from './lib/procs.mjs';

const E = '/engine-rest';
const DEPTH = 8;
// What one pipelined lookup brings of a value; the rest is read afterwards.
const FIRST = 64 * 1024;

suite('pipelined requests on one worker', { workers: 1, vardataArgs: ['--pipeline', String(DEPTH)] }, (s, test) => {
	const pi = 'pipe-pi';
	const exe = 'pipe-exe';
	const task = 'pipe-task';
	// Tasks outside a process, whose chains go on through a parent task or a case execution.
	const top = 'pipe-top';
	const sub = 'pipe-sub';
	const ci = 'pipe-ci';
	const ctask = 'pipe-ctask';
	const values = {};
	let worker;
	let etagOfLarge;

	// Each case: a request and what its answer must be.  The values differ
	// in size and scope, so a request answered with another's lookup fails.
	function cases() {
		const get = (p, headers = {}) => ({ method: 'GET', path: `${E}${p}`, headers });
		const large = values.large;
		return [
			[get(`/task/${task}/variables/small/data`), (r) => r.status === 200 && r.body.equals(values.small)],
			[get(`/task/${task}/variables/medium/data`), (r) => r.status === 200 && r.body.equals(values.medium)],
			[get(`/task/${task}/variables/large/data`), (r) => r.status === 200 && r.body.equals(large)],
			[get(`/task/${task}/localVariables/local/data`), (r) => r.status === 200 && r.body.equals(values.local)],
			[get(`/execution/${exe}/localVariables/empty/data`), (r) => r.status === 200 && r.body.length === 0],
			[get(`/process-instance/${pi}/variables/doc/data`), (r) => r.status === 200 && r.body.equals(values.doc) &&
				/filename="a\.txt"/.test(r.headers['content-disposition'] || '')],
			[get(`/variable-instance/${values.mediumId}/data`), (r) => r.status === 200 && r.body.equals(values.medium)],
			[get(`/task/${task}/variables/nothing/data`), (r) => r.status === 404 &&
				JSON.parse(r.body).message === 'task variable with name nothing does not exist'],
			[get(`/task/no-such-task/variables/small/data`), (r) => r.status === 404 &&
				/no-such-task/.test(JSON.parse(r.body).message)],
			[get(`/task/${task}/variables/large/data`, { Range: 'bytes=10-19' }), (r) => r.status === 206 &&
				r.body.equals(large.subarray(10, 20))],
			[get(`/task/${task}/variables/large/data`, { Range: `bytes=${FIRST - 5}-${FIRST + 4}` }), (r) =>
				r.status === 206 && r.body.equals(large.subarray(FIRST - 5, FIRST + 5))],
			[get(`/task/${task}/variables/large/data`, { 'If-None-Match': etagOfLarge }), (r) => r.status === 304 &&
				r.body.length === 0],
			[{ method: 'HEAD', path: `${E}/task/${task}/variables/large/data` }, (r) => r.status === 200 &&
				r.headers['content-length'] === String(large.length) && r.body.length === 0],
			[get(`/task/${sub}/variables/fromTop/data`), (r) => r.status === 200 && r.body.equals(values.fromTop)],
			[get(`/task/${sub}/variables/largeTop/data`), (r) => r.status === 200 && r.body.equals(values.largeTop)],
			[get(`/task/${ctask}/variables/fromCase/data`), (r) => r.status === 200 && r.body.equals(values.fromCase)],
			[get(`/task/${sub}/variables/nothing/data`), (r) => r.status === 404 &&
				JSON.parse(r.body).message === 'task variable with name nothing does not exist'],
		];
	}

	// Sends every request at once, three rounds of cases() (more than DEPTH).
	function fire(extra = []) {
		const all = [...cases(), ...cases(), ...cases(), ...extra];
		return all.map(([req, ok]) => ({ req, ok, answer: send(s.port, req.method, req.path, req) }));
	}

	async function check(sent) {
		for (const { req, ok, answer } of sent) {
			const r = await answer;
			assert.ok(ok(r), `${req.method} ${req.path} ${JSON.stringify(req.headers || {})}: ` +
				`status ${r.status}, ${r.body ? r.body.length : 0} bytes ${r.error || ''}`);
		}
	}

	test('fixtures: values of several sizes along task -> execution -> process instance, and above tasks outside a process', async () => {
		await s.createProcessInstance(pi, { children: [{ id: exe }] });
		await s.createTask(task, { executionId: exe });
		values.small = crypto.randomBytes(100);
		values.medium = crypto.randomBytes(10_000);
		values.large = crypto.randomBytes(3 * FIRST + 7);
		values.local = crypto.randomBytes(33);
		values.doc = Buffer.from('a document\n');
		await s.insertVariable({ name: 'small', bytes: values.small, executionId: pi });
		values.mediumId = (await s.insertVariable({ name: 'medium', bytes: values.medium, executionId: exe })).id;
		// Too large for a psql command line: stored through vardata itself.
		assert.equal((await s.putBytes(`${E}/process-instance/${pi}/variables/large/data`, values.large)).status, 204);
		await s.insertVariable({ name: 'local', bytes: values.local, taskId: task });
		await s.insertVariable({ name: 'empty', bytes: Buffer.alloc(0), executionId: exe });
		await s.insertVariable({ name: 'doc', type: 'file', text: 'a.txt', text2: 'text/plain#', bytes: values.doc,
			executionId: pi });
		const [[ba, rev]] = await s.sql(`select b.id_, b.rev_ from act_ru_variable v
			join act_ge_bytearray b on b.id_ = v.bytearray_id_ where v.var_scope_ = '${pi}' and v.name_ = 'large'`);
		etagOfLarge = `"${ba}-${rev}"`;
		await s.createTask(top);
		await s.createTask(sub, { parentTaskId: top });
		await s.createCaseInstance(ci, { children: [{ id: 'pipe-ce' }] });
		await s.createTask(ctask, { caseExecutionId: 'pipe-ce' });
		values.fromTop = crypto.randomBytes(77);
		values.largeTop = crypto.randomBytes(2 * FIRST + 3);
		values.fromCase = crypto.randomBytes(55);
		await s.insertVariable({ name: 'fromTop', bytes: values.fromTop, taskId: top });
		assert.equal((await s.putBytes(`${E}/task/${top}/localVariables/largeTop/data`, values.largeTop)).status, 204);
		await s.insertVariable({ name: 'fromCase', bytes: values.fromCase, caseExecutionId: ci });
		[worker] = await childrenOf(s.proc.pid);
		assert.ok(worker, 'the one worker');
	});

	test(`while the database waits, the worker holds ${DEPTH} requests and no more; then each gets its own answer`, async () => {
		const release = await s.holdLock('act_ge_bytearray');
		let sent;
		try {
			sent = fire();
			// Its sockets: the listening one, the database connection and one per request it holds.
			const full = await pollUntil(async () => ((await socketCount(worker)) === DEPTH + 2 ? true : null), 20_000);
			assert.ok(full, `the worker took ${DEPTH} requests (sockets now: ${await socketCount(worker)})`);
			// Every other request has reached the socket and waits in its queue, not in the worker.
			const queued = await pollUntil(() => (pendingConnections(s.socketPath) === sent.length - DEPTH ? true : null), 20_000);
			assert.ok(queued, `${sent.length - DEPTH} requests queued (now ${pendingConnections(s.socketPath)})`);
			assert.equal(await socketCount(worker), DEPTH + 2, `still ${DEPTH}: the others wait for a free slot`);
		} finally {
			await release();
		}
		await check(sent);
	});

	test('POSTs among pipelined GETs: each write lands, every GET still gets its own value', async () => {
		const posted = [crypto.randomBytes(500), crypto.randomBytes(200_000)];
		const post = (name, value) => {
			const mp = multipart([{ name: 'data', filename: 'v.bin', contentType: 'application/octet-stream', data: value }]);
			return [{ method: 'POST', path: `${E}/task/${task}/localVariables/${name}/data`,
				headers: { 'Content-Type': mp.contentType }, body: mp.body }, (r) => r.status === 204];
		};
		const release = await s.holdLock('act_ge_bytearray');
		let sent;
		try {
			sent = fire([post('posted0', posted[0]), post('posted1', posted[1])]);
			const taken = await pollUntil(async () => ((await socketCount(worker)) > 2 ? true : null), 20_000);
			assert.ok(taken, 'the worker holds requests while the database waits');
		} finally {
			await release();
		}
		await check(sent);
		for (const [i, value] of posted.entries()) {
			const r = await send(s.port, 'GET', `${E}/task/${task}/localVariables/posted${i}/data`);
			assert.equal(r.status, 200);
			assert.ok(r.body.equals(value), `posted${i} reads back as sent`);
		}
	});

	// A GET that needs more than its lookup brought waits until the pipeline
	// is empty; a POST behind it may replace the value meanwhile.  Then the
	// GET looks the value up again, and its answer must be about the new
	// value alone: the old one's ETag and Content-Range were once sent too.
	test('a GET whose value a pipelined POST replaces is answered from the new value, with its headers only', async () => {
		const url = `${E}/task/${task}/localVariables/swap/data`;
		assert.equal((await s.putBytes(url, crypto.randomBytes(3 * FIRST))).status, 204);
		const fresh = Buffer.from('fresh');
		const mp = multipart([{ name: 'data', filename: 'v.bin', contentType: 'application/octet-stream', data: fresh }]);
		const release = await s.holdLock('act_ge_bytearray');
		let got, put;
		try {
			got = send(s.port, 'GET', url, { headers: { Range: `bytes=${FIRST + 10}-${FIRST + 19}` } });
			await pollUntil(async () => ((await socketCount(worker)) === 3 ? true : null), 20_000);
			put = send(s.port, 'POST', url, { headers: { 'Content-Type': mp.contentType }, body: mp.body });
			await pollUntil(async () => ((await socketCount(worker)) === 4 ? true : null), 20_000);
		} finally {
			await release();
		}
		assert.equal((await put).status, 204);
		const r = await got;
		const named = (name) => r.rawHeaders.filter((_, i) => i % 2 === 0 && r.rawHeaders[i].toLowerCase() === name);
		const [[ba, rev]] = await s.sql(`select b.id_, b.rev_ from act_ru_variable v join act_ge_bytearray b
			on b.id_ = v.bytearray_id_ where v.task_id_ = '${task}' and v.name_ = 'swap'`);
		assert.equal(r.status, 416, 'the range lies beyond the new value');
		assert.deepEqual(named('etag'), ['ETag'], 'one ETag');
		assert.equal(r.headers.etag, `"${ba}-${rev}"`, 'the new value\'s');
		assert.deepEqual(named('content-range'), ['Content-Range'], 'one Content-Range');
		assert.equal(r.headers['content-range'], `bytes */${fresh.length}`);
		assert.equal(named('accept-ranges').length, 1, 'one Accept-Ranges');
	});

	test('the connection killed with lookups in flight: those get 503 JSON, the worker reconnects', async () => {
		const release = await s.holdLock('act_ge_bytearray');
		const all = cases();
		let sent;
		try {
			sent = all.map(([req]) => send(s.port, req.method, req.path, req));
			const full = await pollUntil(async () => ((await socketCount(worker)) === DEPTH + 2 ? true : null), 20_000);
			assert.ok(full, `the worker took ${DEPTH} requests (sockets now: ${await socketCount(worker)})`);
			await s.sql(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'vardata'`);
		} finally {
			await release();
		}
		const answers = await Promise.all(sent);
		// nginx passes the requests on in no fixed order: which ones were in
		// flight is not known, only how many.  Each of the others got its
		// own answer from the new connection.
		let failed = 0;
		for (const [i, r] of answers.entries()) {
			const [req, ok] = all[i];
			const what = `${req.method} ${req.path} ${JSON.stringify(req.headers || {})}`;
			assert.notEqual(r.status, 0, `${what}: an answer (${r.error})`);
			if (r.status !== 503) {
				assert.ok(ok(r), `${what}: its own answer, not status ${r.status}`);
				continue;
			}
			failed++;
			assert.match(r.headers['content-type'] || '', /^application\/json/, `${what}: a JSON error`);
			// A HEAD answer has no body to parse.
			if (req.method !== 'HEAD')
				assert.equal(JSON.parse(r.body).type, 'RestException', `${what}: a RestException`);
		}
		assert.ok(failed >= DEPTH, `the ${DEPTH} requests in flight failed (503s: ${failed})`);
		assert.deepEqual(await childrenOf(s.proc.pid), [worker], 'the same worker lives on');
		await check(fire());
	});

	// The worker learns of the lost connection and of a new request in one
	// wake-up, in that order: the new request's lookup goes down a new
	// connection, whose socket must be watched in place of the old one.
	test('the connection lost and a new request in one wake-up: the new request is answered', async () => {
		const held = cases().slice(0, 4);
		const lock = await s.holdLock('act_ge_bytearray');
		let locked = true;
		const release = async () => {
			if (locked) {
				locked = false;
				await lock();
			}
		};
		let sent;
		let after;
		try {
			sent = held.map(([req]) => send(s.port, req.method, req.path, req));
			const taken = await pollUntil(async () => ((await socketCount(worker)) === held.length + 2 ? true : null),
				20_000);
			assert.ok(taken, `the worker took ${held.length} requests (sockets now: ${await socketCount(worker)})`);
			assert.ok(await freeze(worker), 'the worker stopped');
			try {
				await s.sql(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'vardata'`);
				const gone = await pollUntil(async () => (await s.sql(`select count(*) from pg_stat_activity
					where application_name = 'vardata'`))[0][0] === '0', 20_000);
				assert.ok(gone, 'its backend is gone');
				await release();
				after = send(s.port, 'GET', `${E}/task/${task}/variables/small/data`);
				const queued = await pollUntil(() => pendingConnections(s.socketPath) === 1, 20_000);
				assert.ok(queued, 'the new request waits in the listening queue');
			} finally {
				signal(worker, 'SIGCONT');
			}
		} finally {
			await release();
		}
		for (const r of await Promise.all(sent))
			assert.equal(r.status, 503, 'a request in flight on the lost connection');
		const r = await after;
		assert.equal(r.status, 200, `the new request: ${r.error || ''}`);
		assert.ok(r.body.equals(values.small), 'its own value');
		await check(fire());
	});
});
