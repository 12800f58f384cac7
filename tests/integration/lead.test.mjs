// The lead worker (src/lead.h, issue 5): in a pool of several, the worker of
// the first slot takes the connections alone while it can, so that requests
// that arrive together are pipelined together; the others take connections
// too while the lead is kept from its socket, and for a second after.  These
// tests check both halves: the load stays on the lead, and it never waits
// for a lead that cannot take it, whether the lead knew it would be away (a
// large upload) or not (blocked in libfcgi by a client that stopped
// half-way through its parameters).

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { delay, multipart, suite } from './harness.mjs';
import { FCGI_BEGIN_REQUEST, FCGI_PARAMS, fcgiRecord } from './lib/fcgi.mjs';
import { send } from './lib/load.mjs';
import { freeze, pollUntil, signal, spoolFiles, waitWorkers } from './lib/procs.mjs';
import { heldRequest, rawPost } from './lib/raw.mjs';

const WORKERS = 3;
const WAIT_MS = 20_000;
// Longer than the hold time (VD_LEAD_HOLD_MS, 1 s) and a look of the supervisor.
const SETTLE_MS = 1500;
const STUCK = /the lead worker (\d+) has been busy for over \d+ ms without taking connections/;

suite('the lead worker', { workers: WORKERS }, (s, test) => {
	const pi = 'lead-pi';
	const path = (name) => `/engine-rest/process-instance/${pi}/variables/${name}/data`;
	const value = crypto.randomBytes(512);

	// The pids that served the GETs of path(name) logged after mark, once
	// there are n of them.
	async function servedBy(mark, name, n) {
		const line = new RegExp(`^vardata\\[(\\d+)\\]: \\S+ GET ${path(name).replace(/\//g, '\\/')} `, 'gm');
		let pids = [];
		const done = await pollUntil(async () => {
			pids = [...(await mark.since()).matchAll(line)].map((m) => Number(m[1]));
			return pids.length >= n;
		}, WAIT_MS);
		assert.ok(done, `${n} requests logged (found ${pids.length})`);
		return pids;
	}

	async function getOk(name) {
		const r = await send(s.port, 'GET', path(name));
		assert.equal(r.status, 200, `GET ${name}: status ${r.status} ${r.error || ''}`);
		assert.ok(r.body.equals(value), `GET ${name}: the value`);
	}

	test('fixtures: a process instance with a Bytes variable', async () => {
		await waitWorkers(s.proc.pid, WORKERS);
		await s.createProcessInstance(pi);
		await s.insertVariable({ name: 'v', executionId: pi, bytes: value });
		await getOk('v');
	});

	test('requests that arrive together are all served by one worker, the lead', async () => {
		await delay(SETTLE_MS);
		const mark = await s.logMark();
		// Five bursts of eight: without a lead, every worker that sleeps is
		// woken for the connections that come while another one runs.
		for (let round = 0; round < 5; round++)
			await Promise.all(Array.from({ length: 8 }, () => getOk('v')));
		const pids = await servedBy(mark, 'v', 40);
		assert.deepEqual([...new Set(pids)], [pids[0]], `served by ${[...new Set(pids)].join(', ')}`);
		assert.doesNotMatch(await mark.since(), STUCK);
	});

	test('a lead blocked where it did not expect to be: the supervisor sees it, the others take the connections', async () => {
		await delay(SETTLE_MS);
		// The lead, the only worker on the socket now, accepts this
		// connection and waits in libfcgi for the rest of its parameters.
		const mark = await s.logMark();
		const sock = net.connect(s.socketPath);
		try {
			await new Promise((resolve, reject) => {
				sock.on('connect', resolve);
				sock.on('error', reject);
			});
			const begin = Buffer.from([0, 1, 0, 0, 0, 0, 0, 0]);
			const params = fcgiRecord(FCGI_PARAMS, 1, Buffer.alloc(100, 0x41));
			sock.write(Buffer.concat([fcgiRecord(FCGI_BEGIN_REQUEST, 1, begin), params.subarray(0, 50)]));
			const stuck = await pollUntil(async () => STUCK.test(await mark.since()), WAIT_MS);
			assert.ok(stuck, 'the supervisor logs that the lead is stuck');
			const lead = Number(STUCK.exec(await mark.since())[1]);
			await getOk('v');
			const [other] = await servedBy(mark, 'v', 1);
			assert.notEqual(other, lead, 'another worker answers while the lead is stuck');
		} finally {
			sock.destroy();
		}
		// The lead is free again, and serves.
		await delay(SETTLE_MS);
		const after = await s.logMark();
		await getOk('v');
		await servedBy(after, 'v', 1);
	});

	test('a lead that starts a long request opens the pool itself: the others answer meanwhile, no stall is seen', async () => {
		await delay(SETTLE_MS);
		const t = await s.taskTarget();
		const big = crypto.randomBytes(1024 * 1024);
		const mp = multipart([{ name: 'data', filename: 'big.bin', contentType: 'application/octet-stream', data: big }]);
		const request = rawPost(t.url('held'), mp.body, mp.contentType);
		const mark = await s.logMark();
		// The upload goes to the lead, which spools its body as it comes;
		// the last kilobyte is held back.
		const up = heldRequest(s.port, request, request.length - 1024);
		let uploader;
		try {
			// The body has reached a worker once its spool file grows.
			const pids = await waitWorkers(s.proc.pid, WORKERS);
			const spooling = await pollUntil(async () => {
				for (const pid of pids)
					if ((await spoolFiles(pid)).some(({ size }) => size > 0))
						uploader = pid;
				return uploader !== undefined;
			}, WAIT_MS);
			assert.ok(spooling, 'a worker spools the upload');
			for (let i = 0; i < 8; i++)
				await getOk('v');
		} finally {
			up.release();
		}
		const res = await up.answer;
		assert.equal(res.status, 204, `upload: status ${res.status} ${res.body.toString().slice(0, 200)}`);
		const log = await mark.since();
		const pids = await servedBy(mark, 'v', 8);
		assert.ok(!pids.includes(uploader), `the GETs were served by ${pids.join(', ')}, not by the uploader ${uploader}`);
		assert.doesNotMatch(log, STUCK, 'the lead opened the pool before it was seen stuck');
	});

	// The successor of a lead killed while it waited for work starts with
	// the old lead's "waiting" left in the shared state; were it believed,
	// a successor that cannot get through its start would never be seen.
	// Here it cannot: the postmaster is stopped, so the new worker's
	// connection waits for its startup answer (the followers keep theirs).
	test('a lead killed while idle, its successor stuck connecting: the others answer', async () => {
		await delay(SETTLE_MS);
		const mark = await s.logMark();
		await Promise.all(Array.from({ length: 4 }, () => getOk('v')));
		const [lead] = await servedBy(mark, 'v', 4);
		const postmaster = Number(fs.readFileSync(`${s.dir}/pgdata/postmaster.pid`, 'latin1').split('\n')[0]);
		const before = await waitWorkers(s.proc.pid, WORKERS);
		assert.ok(await freeze(postmaster), 'the postmaster stopped');
		try {
			assert.ok(signal(lead, 'SIGKILL'), `lead ${lead} killed`);
			const replaced = await pollUntil(async () => {
				const now = await waitWorkers(s.proc.pid, WORKERS);
				return now.some((p) => !before.includes(p));
			}, WAIT_MS);
			assert.ok(replaced, 'the lead is replaced');
			const after = await s.logMark();
			await getOk('v');
			const [by] = await servedBy(after, 'v', 1);
			assert.ok(before.includes(by) && by !== lead, `served by ${by}, a follower`);
		} finally {
			signal(postmaster, 'SIGCONT');
		}
	});
});
