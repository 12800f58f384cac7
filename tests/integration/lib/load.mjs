// A steady, bounded load of reads and writes through nginx, with a record of
// every answer, for the fault tests: each write goes to a variable name of
// its own with a value derived from that name, so that afterwards every write
// that was answered 204 can be read back and compared byte for byte.

import crypto from 'node:crypto';
import http from 'node:http';
import { multipart } from '../harness.mjs';

// A bound on one request: far above anything that works, well below the
// nginx read timeout, so that a hang is reported as such.
export const REQUEST_TIMEOUT_MS = 60_000;

// One request with Node's http module.  Never rejects: a failure to get an
// answer comes back as {status: 0, error}.
export function send(port, method, path, { headers = {}, body, timeout = REQUEST_TIMEOUT_MS } = {}) {
	const t0 = Date.now();
	return new Promise((resolve) => {
		let done = false;
		const finish = (r) => {
			if (!done) {
				done = true;
				resolve({ ...r, started: t0, ended: Date.now() });
			}
		};
		const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => finish({ status: res.statusCode, headers: res.headers, rawHeaders: res.rawHeaders,
				body: Buffer.concat(chunks) }));
			res.on('error', (e) => finish({ status: 0, error: e.message, headers: res.headers, body: Buffer.concat(chunks), partialStatus: res.statusCode }));
			res.on('aborted', () => finish({ status: 0, error: 'aborted', headers: res.headers, body: Buffer.concat(chunks), partialStatus: res.statusCode }));
		});
		req.setTimeout(timeout, () => req.destroy(new Error(`no answer within ${timeout} ms`)));
		req.on('error', (e) => finish({ status: 0, error: e.message, body: Buffer.alloc(0) }));
		req.end(body);
	});
}

// A download that hashes as it goes instead of keeping the bytes.
export function download(port, path, { timeout = REQUEST_TIMEOUT_MS } = {}) {
	return new Promise((resolve) => {
		const hash = crypto.createHash('sha256');
		let received = 0;
		let done = false;
		const finish = (r) => {
			if (!done) {
				done = true;
				resolve({ received, ...r });
			}
		};
		const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
			res.on('data', (c) => {
				received += c.length;
				hash.update(c);
			});
			res.on('end', () => finish({ status: res.statusCode, headers: res.headers, complete: res.complete, sha256: hash.digest('hex') }));
			res.on('error', (e) => finish({ status: res.statusCode, headers: res.headers, complete: false, error: e.message }));
			res.on('aborted', () => finish({ status: res.statusCode, headers: res.headers, complete: false, error: 'aborted' }));
		});
		req.setTimeout(timeout, () => req.destroy(new Error(`no answer within ${timeout} ms`)));
		req.on('error', (e) => finish({ status: 0, complete: false, error: e.message }));
	});
}

// POST a Bytes value.
export function upload(port, path, bytes, opts = {}) {
	const mp = multipart([{ name: 'data', contentType: 'application/octet-stream', data: bytes }]);
	return send(port, 'POST', path, {
		...opts,
		headers: { 'content-type': mp.contentType, 'content-length': String(mp.body.length) },
		body: mp.body,
	});
}

// The value a write of this name carries: derived from the name, so a value
// that ended up under the wrong name, cut short or mixed up is seen.  Every
// third value is larger than vardata's 64 KiB inline limit and goes through
// COPY.
export function valueFor(name, seq) {
	const size = [100, 3000, 70_000][seq % 3];
	const seed = crypto.createHash('sha256').update(name).digest();
	const out = Buffer.alloc(size);
	for (let i = 0; i < size; i += seed.length)
		seed.copy(out, i);
	return out;
}

export function isJsonError(res, status, message) {
	if (res.status !== status || res.headers['content-type'] !== 'application/json')
		return false;
	try {
		const j = JSON.parse(res.body.toString('utf8'));
		return j.type === 'RestException' && (message === undefined || j.message === message);
	} catch {
		return false;
	}
}

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

// Loads that have been started and not stopped.  A test that fails half-way
// leaves its load running; stopRunning() (from an afterEach hook) ends it,
// so that it neither disturbs the next test nor keeps the process alive.
const running = new Set();

export async function stopRunning() {
	for (const l of [...running])
		await l.stop();
}

// Runs step() again and again (at most max times) until stop(); step
// returns a record that is kept.  For small requests beside a fault.
export function loop(step, { pauseMs = 10, max = 20_000 } = {}) {
	const results = [];
	let stopped = false;
	const done = (async () => {
		for (let i = 0; !stopped && i < max; i++) {
			results.push(await step(i));
			await delay(pauseMs);
		}
	})();
	const handle = {
		results,
		async stop() {
			stopped = true;
			await done;
			running.delete(handle);
			return results;
		},
	};
	running.add(handle);
	return handle;
}

// clients loops, each: write a new variable, read a fixed one, pause.
// writeUrl(name) and readUrl give the paths.  Runs until stop() and then
// resolves; every answer is kept in .log as {kind, name, seq, status, ...}.
export class Load {
	constructor({ port, ports, clients = 4, prefix = 'load', writeUrl, readUrl, readBody, pauseMs = 25, maxRequests = 20_000 }) {
		this.ports = ports || [port];
		this.clients = clients;
		this.prefix = prefix;
		this.writeUrl = writeUrl;
		this.readUrl = readUrl;
		this.readBody = readBody;
		this.pauseMs = pauseMs;
		this.maxRequests = maxRequests;
		this.log = [];
		this.stopped = false;
	}

	start() {
		this.done = Promise.all(Array.from({ length: this.clients }, (_, c) => this.client(c)));
		running.add(this);
		return this;
	}

	async client(c) {
		const port = this.ports[c % this.ports.length];
		for (let seq = 0; !this.stopped && this.log.length < this.maxRequests; seq++) {
			const name = `${this.prefix}-c${c}-${seq}`;
			const value = valueFor(name, seq);
			const w = await upload(port, this.writeUrl(name), value);
			this.log.push({ kind: 'write', client: c, name, seq, value, ...w });
			if (this.readUrl) {
				const r = await send(port, 'GET', this.readUrl);
				this.log.push({ kind: 'read', client: c, ...r });
			}
			await delay(this.pauseMs);
		}
	}

	async stop() {
		this.stopped = true;
		await this.done;
		running.delete(this);
		return this.log;
	}

	acknowledged() {
		return this.log.filter((e) => e.kind === 'write' && e.status === 204);
	}
}
