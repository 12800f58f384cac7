// Faults (issue 4): real processes killed, stopped and slowed down under
// load.
//
// To hit "the middle" of a request without guessing at timings, the test
// finds the worker that is serving the big request from /proc (the bytes it
// has written or read so far, and its FastCGI connection still open),
// freezes it with SIGSTOP, checks that it is really half-way (for an upload:
// its transaction is still open in PostgreSQL, so nothing is committed; the
// worker reads the body into its spool file before it starts the COPY), and
// only then kills it.  When the request was too quick to be caught, the
// attempt is repeated a bounded number of times.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterEach, before } from 'node:test';
import { delay, run, suite } from './harness.mjs';
import { Load, download, isJsonError, loop, send, stopRunning, upload } from './lib/load.mjs';
import {
	ageMs, alive, childrenOf, freeze, ioOf, pendingConnections, pollUntil, signal, socketCount, spoolFiles, waitWorkers,
} from './lib/procs.mjs';

const E = '/engine-rest';
const WORKERS = 2;
const TASK = 'fault-task';
const url = (n) => `${E}/task/${TASK}/localVariables/${n}/data`;
const MiB = 1024 * 1024;
const BIG = 64 * MiB;
// A worker that has moved this much of the big request is in its middle.
const MIDDLE = 8 * MiB;
// Bounds of the waits: deadlines, not measurements.
const CATCH_DEADLINE_MS = 60_000;
const RECOVERY_DEADLINE_MS = 60_000;
// The requirement: a dead worker is replaced within a second.
const REPLACE_WITHIN_MS = 1000;
const RESPAWN_BACKOFF_MS = 1000;
const ATTEMPTS = 3;
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');
// nginx's own answer when it cannot reach vardata (nginx/vardata.conf).
const NGINX_UNAVAILABLE = 'the service is not available; try again later';
// vardata's answer when PostgreSQL is down (src/error.c).
const DB_UNAVAILABLE = 'the database is not available; try again later';

suite('faults', { workers: WORKERS }, (s, test) => {
	let bigSha;

	before(async () => {
		await s.createTask(TASK);
		await s.insertVariable({ name: 'small', bytes: Buffer.from('small value'), taskId: TASK });
		// 64 MiB made by PostgreSQL itself: 4 Mi MD5 digests of the numbers 1, 2, ...
		await s.sql(`insert into act_ge_bytearray (id_, rev_, name_, bytes_, type_, create_time_)
			select 'ba-big', 1, 'big', string_agg(decode(md5(i::text), 'hex'), ''::bytea order by i), 2, now()
			from generate_series(1, ${BIG / 16}) i;
			insert into act_ru_variable (id_, rev_, type_, name_, task_id_, var_scope_, bytearray_id_,
				sequence_counter_, is_concurrent_local_)
			values ('var-big', 1, 'bytes', 'big', '${TASK}', '${TASK}', 'ba-big', 1, false)`);
		const [[len, sha]] = await s.sql(`select octet_length(bytes_), encode(sha256(bytes_), 'hex') from act_ge_bytearray where id_ = 'ba-big'`);
		assert.equal(Number(len), BIG);
		bigSha = sha;
	});

	// The pool's workers, once each has run longer than the supervisor's
	// crash-loop guard: a worker that dies within VD_RESPAWN_BACKOFF_MS
	// (1 s, src/defaults.h) of its start is replaced only after that much
	// again, on purpose, and the tests here are about workers that die
	// while serving, not while starting.
	async function workers() {
		let pids = [];
		const settled = await pollUntil(async () => {
			pids = await waitWorkers(s.proc.pid, WORKERS);
			return pids.length === WORKERS && pids.every((p) => ageMs(p) > RESPAWN_BACKOFF_MS);
		}, RECOVERY_DEADLINE_MS);
		assert.ok(settled, `${WORKERS} settled workers: ${pids.join(' ')}`);
		return pids;
	}

	// Small reads and writes from two clients while something else goes on;
	// every answer is kept.
	function background() {
		const reader = loop(async () => {
			const r = await send(s.port, 'GET', url('small'));
			return { what: 'GET small', ok: r.status === 200 && r.body.toString() === 'small value', r };
		});
		const writer = loop(async (i) => {
			const name = `bg-${++bgCount}-${i}`;
			const r = await upload(s.port, url(name), Buffer.from(name));
			return { what: `POST ${name}`, ok: r.status === 204, r, name };
		});
		return {
			async stop() {
				return [...await reader.stop(), ...await writer.stop()];
			},
		};
	}
	let bgCount = 0;

	// Whatever a failed test left running stops here.
	afterEach(() => stopRunning());

	function assertAllSucceeded(results, what) {
		assert.ok(results.length > 0, `some ${what} ran`);
		const bad = results.filter((x) => !x.ok);
		assert.deepEqual(bad.map((x) => `${x.what}: ${x.r.status} ${x.r.error || x.r.body.toString().slice(0, 200)}`), [],
			`every ${what} succeeded`);
	}

	// Freezes the worker in the middle of the big request: the one whose
	// counter (wchar for a download, rchar for an upload) grew by at least
	// MIDDLE and by less than the whole body, that still holds its FastCGI
	// connection, and for which confirm() agrees.  Resolves to its pid, or to
	// null when the request ended first.
	async function freezeMidRequest(pids, { counter, base, total, confirm = async () => true, ended }) {
		const caught = await pollUntil(async () => {
			if (ended())
				return 'missed';
			for (const p of pids) {
				const d = ioOf(p)[counter] - base.get(p);
				if (d < MIDDLE || d >= total)
					continue;
				if (!(await freeze(p)))
					continue;
				if (ioOf(p)[counter] - base.get(p) < total && (await socketCount(p)) === 3 && (await confirm(p)))
					return p;
				signal(p, 'SIGCONT');
			}
			return null;
		}, CATCH_DEADLINE_MS);
		return typeof caught === 'number' ? caught : null;
	}

	async function waitReplaced(victim) {
		const t0 = Date.now();
		const pids = await pollUntil(async () => {
			const c = await childrenOf(s.proc.pid);
			return c.length === WORKERS && !c.includes(victim) ? c : null;
		}, REPLACE_WITHIN_MS);
		assert.ok(pids, `the supervisor replaced worker ${victim} within ${REPLACE_WITHIN_MS} ms ` +
			`(children after ${Date.now() - t0} ms: ${(await childrenOf(s.proc.pid)).join(' ')})`);
		return pids;
	}

	// A 64 MiB download frozen half-way on one of pids: { dl, worker }, the
	// download's promise and the frozen worker.
	async function frozenDownload(pids) {
		for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
			const base = new Map(pids.map((p) => [p, ioOf(p).wchar]));
			let ended = false;
			const dl = download(s.port, url('big')).then((r) => {
				ended = true;
				return r;
			});
			const worker = await freezeMidRequest(pids, { counter: 'wchar', base, total: BIG, ended: () => ended });
			if (worker !== null)
				return { dl, worker };
			await dl;
		}
		assert.fail(`a download caught in its middle in one of ${ATTEMPTS} attempts`);
	}

	function assertWholeDownload(d) {
		assert.deepEqual([d.status, d.received, d.complete, d.sha256], [200, BIG, true, bigSha], 'the download in flight completed');
	}

	// The upload is half in the worker's spool file: a value over 64 KiB goes
	// there as it arrives (an unnamed file, "/tmp/#123 (deleted)" in /proc),
	// and the transaction only opens once the whole value is in.
	const uploadOpen = async (pid) => (await spoolFiles(pid)).some(({ size }) => size > 0 && size < BIG);

	test('SIGKILL of a worker in the middle of a 64 MiB download: that download fails, the rest succeed, a new worker within 1 s', async () => {
		let outcome = null;
		for (let attempt = 1; attempt <= ATTEMPTS && outcome === null; attempt++) {
			const pids = await workers();
			const base = new Map(pids.map((p) => [p, ioOf(p).wchar]));
			const bg = background();
			let ended = false;
			const dl = download(s.port, url('big')).then((r) => {
				ended = true;
				return r;
			});
			const victim = await freezeMidRequest(pids, { counter: 'wchar', base, total: BIG, ended: () => ended });
			if (victim === null) {
				await dl;
				assertAllSucceeded(await bg.stop(), 'request beside the download');
				s.log(`attempt ${attempt}: the download ended before it could be caught`);
				continue;
			}
			signal(victim, 'SIGKILL');
			// Counted from the kill, while the client still sees its request fail.
			const replacing = waitReplaced(victim);
			const res = await dl;
			const replaced = await replacing;
			// Some more requests on the new pool, then the tally.
			await delay(300);
			outcome = { res, victim, replaced, results: await bg.stop() };
		}
		assert.ok(outcome, `the download was caught in its middle in one of ${ATTEMPTS} attempts`);
		const { res, results } = outcome;
		assert.ok(res.received < BIG && !(res.status === 200 && res.complete),
			`the interrupted download failed: status ${res.status}, ${res.received} of ${BIG} bytes, ${res.error}`);
		assertAllSucceeded(results, 'request beside the download');
		const again = await download(s.port, url('big'));
		assert.deepEqual([again.status, again.received, again.sha256], [200, BIG, bigSha], 'the value downloads whole afterwards');
		const log = await fsp.readFile(s.vardataLog, 'utf8');
		assert.match(log, new RegExp(`worker ${outcome.victim} killed by signal 9; replacing it`));
	});

	test('SIGKILL of a worker in the middle of a 64 MiB upload: that upload fails, the old value stays, the rest succeed', async () => {
		const name = 'upload-victim';
		let old = Buffer.from('the old value');
		assert.equal((await upload(s.port, url(name), old)).status, 204);
		let outcome = null;
		for (let attempt = 1; attempt <= ATTEMPTS && outcome === null; attempt++) {
			const value = crypto.randomBytes(BIG);
			const pids = await workers();
			const base = new Map(pids.map((p) => [p, ioOf(p).rchar]));
			const bg = background();
			let ended = false;
			const up = upload(s.port, url(name), value).then((r) => {
				ended = true;
				return r;
			});
			// Confirmed only while the upload's transaction is open: nothing of the new value is committed.
			const victim = await freezeMidRequest(pids, { counter: 'rchar', base, total: BIG, confirm: uploadOpen, ended: () => ended });
			if (victim === null) {
				const r = await up;
				assert.equal(r.status, 204, 'an upload that was not interrupted is stored');
				old = value;
				assertAllSucceeded(await bg.stop(), 'request beside the upload');
				s.log(`attempt ${attempt}: the upload ended before it could be caught`);
				continue;
			}
			signal(victim, 'SIGKILL');
			const replacing = waitReplaced(victim);
			const res = await up;
			const replaced = await replacing;
			await delay(300);
			outcome = { res, victim, replaced, results: await bg.stop() };
		}
		assert.ok(outcome, `the upload was caught in its middle in one of ${ATTEMPTS} attempts`);
		// nginx lost its upstream before any answer: its own 503 JSON page.
		assert.ok(isJsonError(outcome.res, 503, NGINX_UNAVAILABLE),
			`the interrupted upload failed with nginx's 503: ${outcome.res.status} ${outcome.res.body.toString().slice(0, 200)}`);
		assertAllSucceeded(outcome.results, 'request beside the upload');
		// No half-written value: the old one, whole, and no stray byte array.
		const back = await download(s.port, url(name));
		assert.deepEqual([back.status, back.received, back.sha256],
			[200, old.length, sha256(old)], 'the old value is still there, whole');
		const [[count, sha]] = await s.sql(`select count(*), max(encode(sha256(b.bytes_), 'hex')) from act_ge_bytearray b
			join act_ru_variable v on v.bytearray_id_ = b.id_ where v.var_scope_ = '${TASK}' and v.name_ = '${name}'`);
		assert.deepEqual([count, sha], ['1', sha256(old)], 'the variable row points at the old byte array');
		const [[all]] = await s.sql(`select count(*) from act_ge_bytearray where name_ = '${name}'`);
		assert.equal(all, '1', 'no other byte array of that name');
		assert.deepEqual(await s.orphanBytearrays(), [], 'no byte array without a variable');
	});

	test('two slow clients (~1 KiB/s up and down) with 2 workers: both workers go idle and other requests complete meanwhile', async () => {
		const pids = await workers();
		const bigServed = async () => (await fsp.readFile(s.vardataLog, 'utf8'))
			.split('\n').filter((l) => l.includes(` GET ${url('big')} 200 `)).length;
		const bigBefore = await bigServed();
		const upFile = await s.writeFile(crypto.randomBytes(5 * 1024), 'slow-up.bin');
		const dlFile = path.join(s.dir, 'slow-down.bin');
		const t0 = Date.now();
		// curl throttles to 1 KiB/s: the upload of 5 KiB takes about 5 s; the
		// download of 64 MiB is cut off by --max-time 5, which curl reports as
		// exit status 28 with part of the body received.
		let upEnd = Infinity;
		let dlEnd = Infinity;
		const slowUp = s.curl(['--limit-rate', '1K', '-F', `data=@${upFile}`, s.url(url('slow-up'))]).then((r) => {
			upEnd = Date.now();
			return r;
		});
		const slowDown = run('curl', ['-sS', '--limit-rate', '1K', '--max-time', '5', '-o', dlFile, s.url(url('big'))])
			.then(() => ({ code: 0 }), (e) => ({ code: e.code }))
			.then((r) => {
				dlEnd = Date.now();
				return r;
			});
		const inProgress = () => Date.now() < Math.min(upEnd, dlEnd);
		// vardata has answered the slow download in full (its log line is
		// written when the request ends) while curl is still reading it.
		const served = await pollUntil(async () => (await bigServed()) > bigBefore, 30_000);
		assert.ok(served && inProgress(), 'vardata finished the download while the slow client goes on reading');
		// Then, with nothing else going on, both workers are idle (no
		// FastCGI connection) while both slow transfers are still running.
		const idle = await pollUntil(async () => {
			if (!inProgress())
				return 'too late';
			const counts = await Promise.all(pids.map((p) => socketCount(p)));
			return counts.every((c) => c === 2) && inProgress() ? 'idle' : null;
		}, 10_000);
		assert.equal(idle, 'idle', 'both workers idle while both slow clients are still transferring');
		// Then: requests complete while the slow clients go on.
		const done = [];
		for (let i = 0; inProgress() && i < 10_000; i++) {
			const r = i % 2 ? await send(s.port, 'GET', url('small')) : await upload(s.port, url(`fast-${i}`), Buffer.from(`fast ${i}`));
			done.push({ ok: r.status === (i % 2 ? 200 : 204), ended: r.ended, status: r.status });
			await delay(5);
		}
		const up = await slowUp;
		const dl = await slowDown;
		const during = done.filter((d) => d.ended < Math.min(upEnd, dlEnd));
		assert.ok(during.length >= 2 * WORKERS, `requests completed while the slow clients ran: ${during.length}`);
		assert.deepEqual(during.filter((d) => !d.ok), [], 'all of them succeeded');
		assert.equal(up.status, 204, 'the slow upload is stored');
		assert.equal(dl.code, 28, 'the slow download was still running when curl gave up after 5 s');
		const got = fs.statSync(dlFile).size;
		assert.ok(got > 0 && got < BIG, `the slow download received part of the value (${got} bytes)`);
		assert.deepEqual(await childrenOf(s.proc.pid), pids, 'the same workers');
		s.log(`slow clients: ${during.length} requests completed in ${Math.min(upEnd, dlEnd) - t0} ms beside them`);
	});

	test('PostgreSQL stopped for 5 s under load: 503 JSON from vardata meanwhile, recovery, every 204 read back intact', async () => {
		const pids = await workers();
		await s.insertVariable({ name: 'steady', bytes: Buffer.from('steady value'), taskId: TASK });
		const load = new Load({ port: s.port, clients: 4, prefix: 'outage', writeUrl: url, readUrl: url('steady'), pauseMs: 25 }).start();
		const warm = await pollUntil(() => load.acknowledged().length >= 8, RECOVERY_DEADLINE_MS);
		assert.ok(warm, 'the load runs before the outage');
		const mark = await s.logMark();
		await s.stopDatabase();
		const down = Date.now();
		await delay(5000);
		const upBegin = Date.now();
		await s.startDatabase();
		const up = Date.now();
		// Recovered: every client has had a write answered 204 that started after PostgreSQL was back.
		const recovered = await pollUntil(() => {
			const after = load.acknowledged().filter((e) => e.started > up);
			return new Set(after.map((e) => e.client)).size === load.clients;
		}, RECOVERY_DEADLINE_MS);
		await delay(300);
		const log = await load.stop();
		assert.ok(recovered, 'every client is served again after PostgreSQL is back, without a restart');

		// Every answer was a success or vardata's 503 JSON: no hang, no 5xx from nginx, no other error.
		const describe = (e) => `${e.kind} ${e.name || ''}: ${e.status} ${e.error || e.body.toString().slice(0, 200)}`;
		const odd = log.filter((e) => !(e.status === (e.kind === 'write' ? 204 : 200) || isJsonError(e, 503, DB_UNAVAILABLE)));
		assert.deepEqual(odd.map(describe), [], 'only successes and 503 JSON');
		const during = log.filter((e) => e.started >= down && e.ended <= upBegin);
		assert.ok(during.length >= load.clients, `requests during the outage: ${during.length}`);
		assert.deepEqual(during.filter((e) => !isJsonError(e, 503, DB_UNAVAILABLE)).map(describe), [],
			'every request during the outage got 503 JSON');
		for (const e of log.filter((x) => x.kind === 'read' && x.status === 200))
			assert.equal(e.body.toString(), 'steady value');

		// Every write answered 204, read back.
		const acked = load.acknowledged();
		assert.ok(acked.length > 8);
		for (const w of acked) {
			const r = await send(s.port, 'GET', url(w.name));
			assert.equal(r.status, 200, `${w.name} read back`);
			assert.ok(r.body.equals(w.value), `${w.name} intact`);
		}
		assert.deepEqual(await childrenOf(s.proc.pid), pids, 'no worker died');
		// The log says what happened: connects that failed, and a goodbye
		// only from connections that were open (at most one per worker).
		const text = await mark.since();
		const failed = (text.match(/cannot connect to the database/g) || []).length;
		const closed = (text.match(/the database closed the idle connection/g) || []).length;
		assert.ok(failed >= 1, 'failed connects are logged');
		assert.ok(closed <= WORKERS, `${closed} "closed the idle connection" lines for ${failed} failed connects`);
		s.log(`outage: ${log.length} answers, ${during.length} during the outage, ${acked.length} writes acknowledged and read back`);
	});

	test('SIGHUP: each worker finishes its requests and is replaced, with a new database session; no request fails', async () => {
		const pids = await workers();
		const before = await s.vardataSessions();
		assert.equal(before.length, WORKERS, `one session per worker: ${before.join(' ')}`);
		const log = await s.logMark();
		const { dl, worker: busy } = await frozenDownload(pids);
		const bg = background();
		let idleReplaced;
		try {
			s.proc.kill('SIGHUP');
			// The idle worker goes at once; the busy one stays for its download.
			idleReplaced = await pollUntil(async () => {
				const c = await childrenOf(s.proc.pid);
				return c.length === WORKERS && c.includes(busy) && c.some((p) => !pids.includes(p));
			}, RECOVERY_DEADLINE_MS);
			// Some requests on the new worker while the old one still holds its download.
			await delay(300);
		} finally {
			signal(busy, 'SIGCONT');
		}
		const d = await dl;
		const replaced = await pollUntil(async () => {
			const c = await childrenOf(s.proc.pid);
			return c.length === WORKERS && c.every((p) => !pids.includes(p)) ? c : null;
		}, RECOVERY_DEADLINE_MS);
		const results = await bg.stop();
		const after = await pollUntil(async () => {
			const now = await s.vardataSessions();
			return now.length === WORKERS && now.every((p) => !before.includes(p)) ? now : null;
		}, RECOVERY_DEADLINE_MS);
		assert.ok(idleReplaced, 'the idle worker was replaced while the busy one held its download');
		assertWholeDownload(d);
		assert.ok(replaced, `both workers replaced (children now: ${(await childrenOf(s.proc.pid)).join(' ')})`);
		assertAllSucceeded(results, 'request during the reload');
		assert.ok(after, `new database sessions only: before ${before.join(' ')}, now ${(await s.vardataSessions()).join(' ')}`);
		assert.equal(s.proc.exitCode, null, 'the supervisor runs on');
		const text = await log.since();
		assert.match(text, /reloading: each worker is replaced once it has finished its requests/);
		for (const p of pids)
			assert.match(text, new RegExp(`worker ${p} retired; replacing it`));
		assert.doesNotMatch(text, /killed by signal|exited with status|supervisor is gone/);
	});

	test('the supervisor killed (SIGKILL): its workers finish the requests they hold and exit, leaving no database session', async () => {
		const pids = await workers();
		assert.equal((await s.vardataSessions()).length, WORKERS);
		const log = await s.logMark();
		const { dl, worker: busy } = await frozenDownload(pids);
		let killed;
		try {
			s.proc.kill('SIGKILL');
			killed = await s.procExit;
		} finally {
			signal(busy, 'SIGCONT');
		}
		const d = await dl;
		const gone = await pollUntil(() => pids.every((p) => !alive(p)), RECOVERY_DEADLINE_MS);
		const left = await pollUntil(async () => (await s.vardataSessions()).length === 0, RECOVERY_DEADLINE_MS);
		const text = await log.since();
		// A new pool for the tests that follow, whatever the outcome.
		s.procExited = undefined;
		await s.startVardata();
		await s.waitReady();
		assert.deepEqual(killed, { code: null, signal: 'SIGKILL' });
		assertWholeDownload(d);
		assert.ok(gone, `the orphaned workers exited: ${pids.filter(alive).join(' ')} still run`);
		assert.ok(left, 'their database sessions ended');
		assert.match(text, /the supervisor is gone: exiting once the requests in flight are done/);
	});

	test('SIGTERM: requests nginx has already queued on the socket are served, not dropped', async () => {
		const pids = await workers();
		let reqs;
		let queued;
		// Both workers frozen while idle: the next two requests wait in the
		// socket's queue, sent by nginx and not yet accepted by vardata.
		for (const p of pids)
			assert.ok(await freeze(p), `worker ${p} stopped`);
		try {
			reqs = [upload(s.port, url('queued-write'), Buffer.from('queued value')), send(s.port, 'GET', url('small'))];
			queued = await pollUntil(() => pendingConnections(s.socketPath) === 2, 10_000);
			s.proc.kill('SIGTERM');
			await pollUntil(() => !fs.existsSync(s.socketPath), 10_000);
		} finally {
			for (const p of pids)
				signal(p, 'SIGCONT');
		}
		const [w, r] = await Promise.all(reqs);
		const exit = await s.procExit;
		// A new pool for the tests that follow, whatever the outcome.
		s.procExited = undefined;
		await s.startVardata();
		await s.waitReady();
		assert.ok(queued, 'both requests were queued on the socket when SIGTERM came');
		assert.deepEqual(exit, { code: 0, signal: null }, 'the supervisor exits with status 0');
		assert.equal(w.status, 204, `the queued POST was served: ${w.status} ${w.body}`);
		assert.equal(r.status, 200, `the queued GET was served: ${r.status} ${r.body}`);
	});

	// Last: it ends the pool.
	test('SIGTERM with requests in flight: they complete, new ones get 503 from nginx, the supervisor exits 0', async () => {
		const pids = await workers();
		const ends = {};
		// A 64 MiB download frozen half-way on one worker ...
		const { dl, worker: dlWorker } = await frozenDownload(pids);
		// ... and a 64 MiB upload frozen half-way on the other.
		const other = pids.filter((p) => p !== dlWorker);
		let up = null;
		let upWorker = null;
		let value = null;
		for (let attempt = 1; attempt <= ATTEMPTS && upWorker === null; attempt++) {
			value = crypto.randomBytes(BIG);
			const base = new Map(other.map((p) => [p, ioOf(p).rchar]));
			ends.up = false;
			up = upload(s.port, url('term-upload'), value).then((r) => {
				ends.up = true;
				return r;
			});
			upWorker = await freezeMidRequest(other, { counter: 'rchar', base, total: BIG, confirm: uploadOpen, ended: () => ends.up });
			if (upWorker === null)
				await up;
		}
		assert.ok(upWorker, 'an upload caught in its middle');

		let gone;
		let late;
		try {
			s.proc.kill('SIGTERM');
			// The supervisor removes the socket as it stops accepting.
			gone = await pollUntil(() => !fs.existsSync(s.socketPath), 10_000);
			late = await send(s.port, 'GET', url('small'));
		} finally {
			for (const p of [dlWorker, upWorker])
				signal(p, 'SIGCONT');
		}
		assert.ok(gone, 'the socket is gone');
		assert.ok(isJsonError(late, 503, NGINX_UNAVAILABLE), `a new request gets nginx's 503: ${late.status} ${late.body}`);

		const [d, u] = await Promise.all([dl, up]);
		assertWholeDownload(d);
		assert.equal(u.status, 204, `the upload in flight completed: ${u.status} ${u.error || u.body}`);
		const exit = await s.procExit;
		assert.deepEqual(exit, { code: 0, signal: null }, 'the supervisor exits with status 0');
		assert.deepEqual(await childrenOf(s.proc.pid), [], 'no worker left');
		const [[sha]] = await s.sql(`select encode(sha256(b.bytes_), 'hex') from act_ge_bytearray b
			join act_ru_variable v on v.bytearray_id_ = b.id_ where v.var_scope_ = '${TASK}' and v.name_ = 'term-upload'`);
		assert.equal(sha, sha256(value), 'the upload in flight was stored whole');
		const log = await fsp.readFile(s.vardataLog, 'utf8');
		assert.doesNotMatch(log, /shutdown timeout|killed by signal (?!9;)/, 'no worker had to be killed');
	});
});
