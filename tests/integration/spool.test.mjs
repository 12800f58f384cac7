// Issue 5: a data part over 64 KiB goes to the worker's spool file as it
// arrives, and into PostgreSQL with one binary COPY once its length is
// known.  These tests hold a large body back half-way and look at the
// worker and the database meanwhile, and send the bodies whose data part is
// not where a quick guess would put it: another part after it, two data
// parts, no final CRLF, an epilogue, sizes around the in-memory limit.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { multipart, suite } from './harness.mjs';
import { assertNoContent } from './expect.mjs';
import { heldRequest, rawPost } from './lib/raw.mjs';
import { childrenOf, pollUntil, spoolFiles, waitWorkers } from './lib/procs.mjs';

const OCTET = 'application/octet-stream';
const MiB = 1024 * 1024;
const WORKERS = 2;
// A bound on waiting for a worker to have received part of a body, not a measurement.
const WAIT_MS = 20_000;

const md5 = (b) => crypto.createHash('md5').update(b).digest('hex');

suite('spool', { workers: WORKERS }, (s, test) => {
	let pids;

	// vardata's database sessions that are not idle outside a transaction.
	async function busySessions() {
		return s.rows(`select state, query from pg_stat_activity where application_name = 'vardata'
			and (state <> 'idle' or xact_start is not null)`);
	}

	// The largest spool file among the workers: what one of them holds of a body.
	async function spooled() {
		let most = 0;
		for (const pid of pids)
			for (const { size } of await spoolFiles(pid))
				most = Math.max(most, size);
		return most;
	}

	// The stored value of a task-local variable: its type, text and the md5 and length of its bytes.
	async function stored(task, name) {
		const r = await s.sql(`select v.type_, v.text_, md5(b.bytes_), octet_length(b.bytes_)
			from act_ru_variable v join act_ge_bytearray b on b.id_ = v.bytearray_id_
			where v.var_scope_ = '${task}' and v.name_ = '${name}'`);
		assert.equal(r.length, 1, `one variable ${name} with a byte array`);
		const [type, text, sum, len] = r[0];
		return { type, text, md5: sum, length: Number(len) };
	}

	const bytes = (value) => ({ type: 'bytes', text: null, md5: md5(value), length: value.length });

	async function bytearrayCount(name) {
		const [[n]] = await s.sql(`select count(*) from act_ge_bytearray where name_ = '${name}'`);
		return Number(n);
	}

	// Posts mp's body to task t's variable name with its last `held` bytes
	// held back; once ready() holds, no vardata session may be in a
	// transaction.  Then the rest goes out, the answer must be 204, and the
	// spool file must be empty again.
	async function noTransactionWhileHeld(t, name, mp, held, ready, what) {
		const req = heldRequest(s.port, rawPost(t.url(name), mp.body, mp.contentType), mp.body.length - held);
		try {
			assert.ok(await pollUntil(ready, WAIT_MS), what);
			assert.deepEqual(await busySessions(), [], 'no vardata session in a transaction or a statement');
		} finally {
			req.release();
		}
		const res = await req.answer;
		assert.equal(res.status, 204, `status ${res.status} ${res.body.toString().slice(0, 200)}`);
		assert.equal(await spooled(), 0, 'the spool file is emptied once the value is stored');
	}

	test('the pool is up', async () => {
		pids = await waitWorkers(s.proc.pid, WORKERS);
		assert.equal(pids.length, WORKERS);
	});

	// The COPY could begin with the body, its length guessed from the
	// Content-Length (README, "Large uploads"); it does not, so that a slow
	// client never keeps a transaction open.
	test('while a large body arrives, its worker spools it and holds no transaction; the value is stored at the end', async () => {
		const t = await s.taskTarget();
		const value = crypto.randomBytes(4 * MiB);
		const mp = multipart([{ name: 'valueType', data: 'File' },
			{ name: 'data', filename: 'big.bin', contentType: OCTET, data: value }]);
		await noTransactionWhileHeld(t, 'big', mp, 2 * MiB, async () => (await spooled()) >= MiB,
			'a worker has spooled a MiB of the value');
		assert.deepEqual(await stored(t.task, 'big'),
			{ type: 'file', text: 'big.bin', md5: md5(value), length: value.length });
	});

	// The data part ends long before the body does; the COPY still waits
	// for the end, and the spool keeps the whole value meanwhile.
	test('a large data part followed by more body: no transaction until the body is in', async () => {
		const t = await s.taskTarget();
		const value = crypto.randomBytes(2 * MiB);
		const mp = multipart([{ name: 'data', contentType: OCTET, data: value },
			{ name: 'padding', contentType: OCTET, data: crypto.randomBytes(4 * MiB) },
			{ name: 'valueType', data: 'Bytes' }]);
		await noTransactionWhileHeld(t, 'first', mp, 2 * MiB, async () => (await spooled()) === value.length,
			'a worker holds the whole value in its spool');
		assert.deepEqual(await stored(t.task, 'first'), bytes(value));
	});

	test('a part after the large data part, no final CRLF, an epilogue: the value is stored whole', async () => {
		const t = await s.taskTarget();
		const value = crypto.randomBytes(2 * MiB + 5);
		const mp = multipart([{ name: 'data', contentType: OCTET, data: value }]);
		assert.ok(mp.body.subarray(-2).equals(Buffer.from('\r\n')));
		const after = multipart([{ name: 'data', contentType: OCTET, data: value }, { name: 'valueType', data: 'Bytes' }]);
		const bodies = {
			after: after.body,
			nocrlf: mp.body.subarray(0, mp.body.length - 2),
			epilogue: Buffer.concat([mp.body, Buffer.from('an epilogue, to be ignored\r\n')]),
		};
		for (const [name, body] of Object.entries(bodies)) {
			const ct = name === 'after' ? after.contentType : mp.contentType;
			assertNoContent(await s.postRaw(t.url(name), body, ct));
			assert.deepEqual(await stored(t.task, name), bytes(value), name);
		}
	});

	test('two large data parts: the last one wins, and the first one\'s row is gone', async () => {
		const t = await s.taskTarget();
		const first = crypto.randomBytes(MiB + 3);
		const last = crypto.randomBytes(2 * MiB + 9);
		const data = [{ name: 'data', contentType: OCTET, data: first }, { name: 'data', contentType: OCTET, data: last }];
		assertNoContent(await s.postMultipart(t.url('twice'), data));
		assertNoContent(await s.postMultipart(t.url('twice-then'), [...data, { name: 'valueType', data: 'Bytes' }]));
		for (const name of ['twice', 'twice-then']) {
			assert.deepEqual(await stored(t.task, name), bytes(last), name);
			assert.equal(await bytearrayCount(name), 1, `${name}: one byte-array row`);
		}
		assert.deepEqual(await s.orphanBytearrays(), [], 'no stray byte array');
	});

	test('a small data part before a large ignored part is stored as sent', async () => {
		const t = await s.taskTarget();
		const value = crypto.randomBytes(1000);
		assertNoContent(await s.postMultipart(t.url('small'), [
			{ name: 'data', contentType: OCTET, data: value },
			{ name: 'padding', contentType: OCTET, data: crypto.randomBytes(512 * 1024) },
		]));
		assert.deepEqual(await stored(t.task, 'small'), bytes(value));
	});

	test('values around the in-memory limit (64 KiB) round-trip byte for byte', async () => {
		const t = await s.taskTarget();
		for (const n of [65535, 65536, 65537, 2 * 65536 + 1, MiB]) {
			const value = crypto.randomBytes(n);
			assertNoContent(await s.putBytes(t.url(`n${n}`), value));
			assert.deepEqual(await stored(t.task, `n${n}`), bytes(value), `${n} bytes`);
			assert.ok((await s.get(t.url(`n${n}`))).body.equals(value), `${n} bytes read back`);
		}
	});

	test('a client gone half-way through a large body: nothing stored, the old value stays, the spool emptied, the same workers', async () => {
		const t = await s.taskTarget();
		const old = Buffer.from('the value before');
		assertNoContent(await s.putBytes(t.url('cut'), old));
		const mp = multipart([{ name: 'data', contentType: OCTET, data: crypto.randomBytes(4 * MiB) }]);
		const req = heldRequest(s.port, rawPost(t.url('cut'), mp.body, mp.contentType), mp.body.length - 2 * MiB);
		req.answer.catch(() => {});
		try {
			assert.ok(await pollUntil(async () => (await spooled()) >= MiB, WAIT_MS), 'a worker has spooled a MiB');
		} finally {
			req.cut();
		}
		assert.equal(await pollUntil(async () => (await spooled()) === 0, WAIT_MS), true, 'the spool file is emptied');
		assert.deepEqual(await busySessions(), [], 'no vardata session left in a transaction');
		assert.deepEqual(await stored(t.task, 'cut'), bytes(old));
		assert.equal(await bytearrayCount('cut'), 1, 'only the old value\'s byte array');
		assert.deepEqual(await childrenOf(s.proc.pid), pids, 'the same workers');
		const value = crypto.randomBytes(3 * MiB);
		assertNoContent(await s.putBytes(t.url('cut'), value));
		assert.deepEqual(await stored(t.task, 'cut'), bytes(value));
	});
});
