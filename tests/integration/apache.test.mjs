// vardata behind Apache httpd 2.4 and mod_proxy_fcgi (spec section 1:
// "behind nginx (or Apache mod_proxy_fcgi)"), configured with the example
// apache/vardata.conf.
//
// The harness starts PostgreSQL, the vardata pool and nginx as for every
// file; this file adds a real Apache (/usr/sbin/apache2 -DFOREGROUND, a
// child of the test) with a generated top-level configuration in a
// temporary directory of its own.  That configuration includes four copies
// of apache/vardata.conf, each with its own listen port and socket:
//   vardata  the pool's socket: the example as it is;
//   stock    the pool's socket, without "SetEnv ap_trust_cgilike_cl", so
//            that Apache frames vardata's bodies itself (its default);
//   probe    a small FastCGI responder in this file that records what Apache
//            passes (parameters, body), so that it can be pinned down;
//   dead     a socket path where nothing listens.
// Tests talk HTTP to Apache and to nginx with the harness's helpers and read
// the rows with psql.  Every wait polls with a deadline; nothing is timed.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { KEEP, SRCDIR, delay, freePort, isRoot, lit, multipart, run, suite, tail } from './harness.mjs';
import { allBytes, assertColumns, assertError, assertNoContent, assertValue } from './expect.mjs';
import { FCGI_BEGIN_REQUEST, FCGI_END_REQUEST, FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT, fcgiParams, fcgiRecord } from './lib/fcgi.mjs';
import { pollUntil } from './lib/procs.mjs';
import { chunked, rawExchange, rawRequest } from './lib/raw.mjs';

const E = '/engine-rest';
const OCTET = 'application/octet-stream';
const APACHE = process.env.APACHE || '/usr/sbin/apache2';
const MODULE_DIR = '/usr/lib/apache2/modules';
// What the example needs (see its head), the MPM, and the access log.
const MODULES = ['mpm_event', 'unixd', 'authz_core', 'log_config', 'proxy', 'proxy_fcgi', 'rewrite',
	'headers', 'alias', 'env', 'unique_id'];
const TRUST_CL = 'SetEnv ap_trust_cgilike_cl 1';
const UNAVAILABLE = 'the service is not available; try again later';
// Deadlines, not measurements.
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const WAIT_TIMEOUT_MS = 30_000;
const POLL_MS = 50;

// ---- a FastCGI responder that records what it is sent ----

// Listens on a unix socket; every request is answered with 200 and a small
// JSON body once its body has ended, and recorded in `seen`: {params,
// length, sha256} of the body Apache sent.
async function startProbe(sock) {
	const seen = [];
	const server = net.createServer((c) => {
		let buf = Buffer.alloc(0);
		let params = Buffer.alloc(0);
		const hash = crypto.createHash('sha256');
		let length = 0;
		let answered = false;
		c.on('error', () => {});
		c.on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			while (buf.length >= 8 && buf.length >= 8 + buf.readUInt16BE(4) + buf[6]) {
				const type = buf[1];
				const id = buf.readUInt16BE(2);
				const content = buf.subarray(8, 8 + buf.readUInt16BE(4));
				buf = buf.subarray(8 + content.length + buf[6]);
				if (type === FCGI_PARAMS)
					params = Buffer.concat([params, content]);
				else if (type === FCGI_STDIN && content.length > 0) {
					hash.update(content);
					length += content.length;
				} else if (type === FCGI_STDIN && !answered) {
					answered = true;
					const rec = { params: fcgiParams(params), length, sha256: hash.digest('hex') };
					seen.push(rec);
					const body = Buffer.from(JSON.stringify({ probe: true, length }));
					const head = `Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
					c.end(Buffer.concat([fcgiRecord(FCGI_STDOUT, id, Buffer.concat([Buffer.from(head), body])),
						fcgiRecord(FCGI_STDOUT, id, Buffer.alloc(0)),
						fcgiRecord(FCGI_END_REQUEST, id, Buffer.alloc(8))]));
				} else if (type !== FCGI_BEGIN_REQUEST && type !== FCGI_STDIN) {
					c.destroy();
				}
			}
		});
	});
	await fsp.rm(sock, { force: true });
	await new Promise((resolve, reject) => {
		server.once('error', reject);
		server.listen(sock, resolve);
	});
	// Apache's children run as www-data.
	await fsp.chmod(sock, 0o666);
	return {
		seen,
		close: () => new Promise((resolve) => server.close(() => resolve())),
	};
}

// ---- Apache ----

function connects(port) {
	return new Promise((resolve) => {
		const c = net.connect(port, '127.0.0.1');
		c.on('connect', () => {
			c.destroy();
			resolve(true);
		});
		c.on('error', () => resolve(false));
	});
}

// Polls until fn() resolves truthy and returns that value; fails the test
// when the deadline passes first.
async function until(what, fn, timeout = WAIT_TIMEOUT_MS) {
	const v = await pollUntil(fn, timeout);
	if (!v)
		throw new Error(`timed out waiting for ${what}`);
	return v;
}

class Apache {
	constructor() {
		this.dir = null;
		this.proc = null;
		this.exit = null;
		this.exited = null;
		this.output = '';
		this.ports = {};
	}

	get errorLog() {
		return path.join(this.dir, 'error.log');
	}

	get accessLog() {
		return path.join(this.dir, 'access.log');
	}

	// sites: {label: {socket, transform}}; transform edits the example's text.
	async start(sites) {
		if (!fs.existsSync(APACHE))
			throw new Error(`Apache not found at ${APACHE}: install apache2-bin (scripts/deps.sh), or set APACHE`);
		this.dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'vd-apache-'));
		await fsp.chmod(this.dir, 0o755);
		if (KEEP)
			process.stderr.write(`apache: directory ${this.dir}\n`);
		const example = await fsp.readFile(path.join(SRCDIR, 'apache', 'vardata.conf'), 'utf8');
		for (const s of ['127.0.0.1:8080', '/run/vardata/vardata.sock', TRUST_CL])
			assert.ok(example.includes(s), `apache/vardata.conf contains "${s}"`);
		const includes = [];
		for (const [label, site] of Object.entries(sites)) {
			this.ports[label] = await freePort();
			let text = example.split('127.0.0.1:8080').join(`127.0.0.1:${this.ports[label]}`)
				.split('/run/vardata/vardata.sock').join(site.socket);
			if (site.transform)
				text = site.transform(text);
			const file = path.join(this.dir, `${label}.conf`);
			await fsp.writeFile(file, text);
			includes.push(`Include "${file}"`);
		}
		const builtin = (await run(APACHE, ['-l'])).stdout.toString();
		const load = MODULES.filter((m) => !builtin.includes(`mod_${m}.c`))
			.map((m) => `LoadModule ${m}_module "${MODULE_DIR}/mod_${m}.so"`);
		const conf = path.join(this.dir, 'httpd.conf');
		await fsp.writeFile(conf, [
			'# Written by tests/integration/apache.test.mjs.',
			`ServerRoot "${this.dir}"`,
			...load,
			'ServerName 127.0.0.1',
			...(isRoot ? ['User www-data', 'Group www-data'] : []),
			`PidFile "${path.join(this.dir, 'httpd.pid')}"`,
			`DefaultRuntimeDir "${this.dir}"`,
			`Mutex file:${this.dir} default`,
			`ErrorLog "${this.errorLog}"`,
			'LogLevel warn',
			'LogFormat "%{UNIQUE_ID}e %>s \\"%r\\"" vardata',
			`CustomLog "${this.accessLog}" vardata`,
			// As Debian's apache2.conf and conf-available/security.conf:
			// nothing on disk is served, and TRACE is off server-wide (the
			// example turns it on for its virtual host).
			'<Directory />',
			'\tRequire all denied',
			'</Directory>',
			'TraceEnable Off',
			...includes,
			'',
		].join('\n'));
		await run(APACHE, ['-t', '-f', conf]);
		this.proc = spawn(APACHE, ['-f', conf, '-DFOREGROUND'], { stdio: ['ignore', 'pipe', 'pipe'] });
		this.proc.stdout.on('data', (d) => { this.output += d; });
		this.proc.stderr.on('data', (d) => { this.output += d; });
		this.exit = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
		this.proc.on('exit', (code, signal) => { this.exited = { code, signal }; });
		const deadline = Date.now() + START_TIMEOUT_MS;
		for (const port of Object.values(this.ports)) {
			while (!(await connects(port))) {
				if (this.exited)
					throw new Error(`apache exited during start: ${JSON.stringify(this.exited)}\n${this.output}\n${await tail(this.errorLog)}`);
				if (Date.now() > deadline)
					throw new Error(`apache does not listen on ${port} after ${START_TIMEOUT_MS} ms\n${await tail(this.errorLog)}`);
				await delay(POLL_MS);
			}
		}
	}

	// SIGTERM stops the children and then the parent; wait for it to exit.
	async stop() {
		const problems = [];
		if (this.proc && !this.exited) {
			this.proc.kill('SIGTERM');
			let timer;
			const outcome = await Promise.race([this.exit,
				new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS); })]);
			clearTimeout(timer);
			if (outcome === 'timeout') {
				problems.push(`apache (pid ${this.proc.pid}) ignored SIGTERM for ${STOP_TIMEOUT_MS} ms`);
				this.proc.kill('SIGKILL');
				await this.exit;
			}
		}
		// The parent removes its pid file once its children are gone.
		if (this.dir !== null && fs.existsSync(path.join(this.dir, 'httpd.pid')))
			problems.push('apache left its pid file behind');
		if (this.dir !== null && !KEEP)
			await fsp.rm(this.dir, { recursive: true, force: true });
		if (problems.length)
			throw new Error(problems.join('\n'));
	}

	async dumpLogs(why) {
		if (this.dir !== null)
			process.stderr.write(`==== ${why}: apache ${this.dir}\n---- error.log\n${await tail(this.errorLog)}\n`);
	}
}

suite('vardata behind Apache mod_proxy_fcgi', { vardataArgs: ['--max-body', '8M'] }, (s, harnessTest) => {
	const apache = new Apache();
	let probe;
	const fronts = {};

	// The stack's HTTP helpers (curl, Node's http), aimed at one of Apache's
	// ports instead of nginx's: an object whose prototype is the stack, with
	// its own url() and the stack's counter, so that the names of temporary
	// files stay unique.
	function front(port) {
		const f = Object.create(s);
		Object.defineProperty(f, 'counter', { get: () => s.counter, set: (v) => { s.counter = v; } });
		f.url = (p) => `http://127.0.0.1:${port}${p}`;
		return f;
	}

	before(async () => {
		const probeSock = path.join(s.dir, 'probe.sock');
		probe = await startProbe(probeSock);
		await apache.start({
			vardata: { socket: s.socketPath },
			stock: { socket: s.socketPath, transform: (t) => t.split(TRUST_CL).join('') },
			probe: { socket: probeSock },
			dead: { socket: path.join(s.dir, 'dead.sock') },
		});
		for (const [label, port] of Object.entries(apache.ports))
			fronts[label] = front(port);
		// Ready when vardata's own JSON 404 comes back through Apache.
		await until('vardata through Apache', async () => {
			const r = await fronts.vardata.request('GET', `${E}/variable-instance/none/data`).catch(() => null);
			return r && r.status === 404 && r.headers['content-type'] === 'application/json';
		}, START_TIMEOUT_MS);
	}, { timeout: START_TIMEOUT_MS * 2 });

	after(async () => {
		try {
			await apache.stop();
		} finally {
			if (probe)
				await probe.close();
		}
	}, { timeout: STOP_TIMEOUT_MS * 2 });

	const test = (name, fn) => harnessTest(name, async (t) => {
		try {
			await fn(t);
		} catch (e) {
			await apache.dumpLogs(`test failed: ${name}`);
			throw e;
		}
	});

	// Every header Apache or vardata might both write appears once.
	function assertOnce(res, what) {
		const names = res.headerList ? res.headerList.map(([n]) => n)
			: res.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
		for (const h of ['content-type', 'content-length', 'x-content-type-options', 'etag', 'content-disposition', 'allow', 'retry-after'])
			assert.ok(names.filter((n) => n === h).length <= 1, `${what}: ${h} at most once (${names.join(', ')})`);
	}

	const SAME = ['content-type', 'content-length', 'content-disposition', 'etag', 'accept-ranges',
		'x-content-type-options', 'content-range', 'allow'];

	// The answer through Apache carries the same status, bytes and headers as
	// through nginx.
	async function sameAsNginx(p, args = []) {
		const viaApache = await fronts.vardata.get(p, args);
		const viaNginx = await s.get(p, args);
		assert.equal(viaApache.status, viaNginx.status, `status of ${p}`);
		for (const h of SAME)
			assert.equal(viaApache.headers[h], viaNginx.headers[h], `${h} of ${p}`);
		assert.ok(viaApache.body.equals(viaNginx.body), `body of ${p}`);
		assertOnce(viaApache, p);
		return viaApache;
	}

	async function task() {
		const id = s.uid('task');
		await s.createTask(id);
		return { id, url: (n) => `${E}/task/${id}/localVariables/${n}/data` };
	}

	async function storedBytes(scope, name) {
		const row = await s.variable(scope, name);
		assert.ok(row, `variable ${name} exists`);
		return { row, bytes: (await s.bytearray(row.bytearray_id_)).bytes };
	}

	test('GET of a Bytes and a File variable: the bytes and headers nginx serves', async () => {
		const t = await task();
		const bytes = allBytes();
		await s.insertVariable({ name: 'blob', bytes, taskId: t.id });
		await s.insertVariable({ name: 'doc', type: 'file', text: 'test.txt', text2: 'text/plain#UTF-8',
			bytes: Buffer.from('file content\n'), taskId: t.id });
		await s.insertVariable({ name: 'uni', type: 'file', text: 'Über "q" €.pdf', text2: 'application/pdf#',
			bytes: Buffer.from('%PDF'), taskId: t.id });
		assertValue(await sameAsNginx(t.url('blob')), { contentType: OCTET, body: bytes });
		// Camunda's exact header for an ASCII name (spec section 7).
		assertValue(await sameAsNginx(t.url('doc')), {
			contentType: 'text/plain; charset=UTF-8', body: 'file content\n',
			disposition: `attachment; filename="test.txt"; filename*=UTF-8''test.txt`,
		});
		const uni = await sameAsNginx(t.url('uni'));
		assertValue(uni, { contentType: 'application/pdf', body: '%PDF', disposition: uni.headers['content-disposition'] });
		assert.match(uni.headers['content-disposition'], /^attachment; filename="_+ber \\"q\\" _+\.pdf"; filename\*=UTF-8''%C3%9Cber%20%22q%22%20%E2%82%AC\.pdf$/);
		// The same through a variable instance id.
		const row = await s.variable(t.id, 'blob');
		assertValue(await sameAsNginx(`${E}/variable-instance/${row.id_}/data`), { contentType: OCTET, body: bytes });
	});

	test('HEAD: the headers of the GET, Content-Length included, and no body', async () => {
		const t = await task();
		const value = crypto.randomBytes(40_000);
		await s.insertVariable({ name: 'h', type: 'file', text: 'h.bin', text2: null, bytes: value, taskId: t.id });
		const get = await fronts.vardata.request('GET', t.url('h'));
		const head = await fronts.vardata.request('HEAD', t.url('h'));
		const viaNginx = await s.request('HEAD', t.url('h'));
		assert.equal(head.status, 200);
		assert.equal(head.body.length, 0, 'no body');
		assert.equal(head.headers['content-length'], String(value.length));
		for (const h of SAME) {
			assert.equal(head.headers[h], get.headers[h], `${h} as for GET`);
			assert.equal(head.headers[h], viaNginx.headers[h], `${h} as through nginx`);
		}
		assertOnce(head, 'HEAD');
		// Apache passes HEAD on as HEAD (it does not turn it into a GET).
		const seen0 = probe.seen.length;
		assert.equal((await fronts.probe.request('HEAD', `${E}/x`)).status, 200);
		assert.equal(probe.seen.length, seen0 + 1);
		assert.equal(probe.seen.at(-1).params.REQUEST_METHOD, 'HEAD');
	});

	test('Range: 206 with Content-Range and exactly those bytes; a list of ranges is answered whole, as vardata does', async () => {
		const t = await task();
		const value = crypto.randomBytes(3000);
		await s.insertVariable({ name: 'r', bytes: value, taskId: t.id });
		for (const [range, off, len] of [['bytes=10-19', 10, 10], ['bytes=-5', 2995, 5], ['bytes=2990-', 2990, 10]]) {
			const r = await sameAsNginx(t.url('r'), ['-H', `Range: ${range}`]);
			assert.equal(r.status, 206, range);
			assert.equal(r.headers['content-range'], `bytes ${off}-${off + len - 1}/3000`);
			assert.equal(r.headers['content-length'], String(len));
			assert.ok(r.body.equals(value.subarray(off, off + len)), `bytes of ${range}`);
		}
		// vardata ignores a list of ranges; Apache's own byte-range filter
		// leaves vardata's 200 alone instead of cutting it into a multipart
		// answer.
		const list = await sameAsNginx(t.url('r'), ['-H', 'Range: bytes=0-1,5-6']);
		assertValue(list, { contentType: OCTET, body: value });
		const past = await sameAsNginx(t.url('r'), ['-H', 'Range: bytes=5000-']);
		assert.equal(past.status, 416);
		assert.equal(past.headers['content-range'], 'bytes */3000');
	});

	test('If-None-Match with the ETag -> 304 without a body; another tag -> 200', async () => {
		const t = await task();
		await s.insertVariable({ name: 'e', bytes: Buffer.from('etag me'), taskId: t.id });
		const full = await fronts.vardata.get(t.url('e'));
		const etag = full.headers.etag;
		assert.match(etag, /^"[^"]+"$/);
		for (const method of ['GET', 'HEAD']) {
			const r = await fronts.vardata.request(method, t.url('e'), { headers: { 'if-none-match': etag } });
			assert.equal(r.status, 304, method);
			assert.equal(r.body.length, 0);
			assert.equal(r.headers.etag, etag);
			assert.equal(r.headers['x-content-type-options'], 'nosniff');
		}
		const other = await fronts.vardata.request('GET', t.url('e'), { headers: { 'if-none-match': '"other"' } });
		assert.equal(other.status, 200);
		assert.equal(other.body.toString(), 'etag me');
	});

	test('multipart POST of a small Bytes and a File value: 204, the rows and bytes stored', async () => {
		const t = await task();
		const small = allBytes();
		assertNoContent(await fronts.vardata.putBytes(t.url('small'), small));
		const { row, bytes } = await storedBytes(t.id, 'small');
		assertColumns(row, { type_: 'bytes', text_: null, text2_: null }, 'variable row');
		assert.ok(bytes.equals(small), 'the bytes as sent');
		assertNoContent(await fronts.vardata.postMultipart(t.url('file'), [
			{ name: 'data', filename: 'notes.txt', contentType: 'text/plain; encoding=UTF-8', data: 'some notes' },
			{ name: 'valueType', data: 'File' },
		]));
		const file = await storedBytes(t.id, 'file');
		assertColumns(file.row, { type_: 'file', text_: 'notes.txt', text2_: 'text/plain#UTF-8' }, 'File row');
		assert.equal(file.bytes.toString(), 'some notes');
		assertValue(await sameAsNginx(t.url('file')), {
			contentType: 'text/plain; charset=UTF-8', body: 'some notes',
			disposition: `attachment; filename="notes.txt"; filename*=UTF-8''notes.txt`,
		});
	});

	test('multipart POST of a 3 MiB value, streamed by Apache as it arrives: stored byte for byte, read back whole', async () => {
		const t = await task();
		const value = crypto.randomBytes(3 * 1024 * 1024 + 5);
		assertNoContent(await fronts.vardata.putBytes(t.url('big'), value));
		assert.ok((await storedBytes(t.id, 'big')).bytes.equals(value), 'the stored bytes');
		assertValue(await fronts.vardata.get(t.url('big')), { contentType: OCTET, body: value });
	});

	test('chunked POST streamed by Apache: no CONTENT_LENGTH reaches the backend, vardata reads to the end of FCGI_STDIN and stores it', async () => {
		const t = await task();
		const value = crypto.randomBytes(3 * 1024 * 1024 + 7);
		const mp = multipart([{ name: 'data', filename: 'c.bin', contentType: OCTET, data: value }]);
		const pieces = [];
		for (let i = 0; i < mp.body.length; i += 64 * 1024)
			pieces.push(mp.body.subarray(i, i + 64 * 1024));
		// What Apache passes on: the body as it comes, without a length.
		const seen0 = probe.seen.length;
		const echoed = await fronts.probe.request('POST', `${E}/chunked`, { headers: { 'content-type': mp.contentType }, body: pieces });
		assert.equal(echoed.status, 200);
		assert.equal(probe.seen.length, seen0 + 1);
		const seen = probe.seen.at(-1);
		assert.equal(seen.params.CONTENT_LENGTH, undefined, 'no CONTENT_LENGTH');
		assert.equal(seen.params.HTTP_TRANSFER_ENCODING, 'chunked');
		assert.equal(seen.length, mp.body.length, 'the whole body');
		assert.equal(seen.sha256, crypto.createHash('sha256').update(mp.body).digest('hex'));
		// What vardata makes of it.
		const res = await fronts.vardata.request('POST', t.url('chunked'), { headers: { 'content-type': mp.contentType }, body: pieces });
		assertNoContent(res);
		const { row, bytes } = await storedBytes(t.id, 'chunked');
		assertColumns(row, { type_: 'bytes' }, 'variable row');
		assert.ok(bytes.equals(value), 'the stored bytes');
	});

	test('small chunked POST in one write: Apache reads it whole first and passes its CONTENT_LENGTH; vardata stores it', async () => {
		const t = await task();
		const mp = multipart([{ name: 'data', filename: 's.bin', contentType: OCTET, data: 'small and chunked' }]);
		const request = (target) => rawRequest({ method: 'POST', target, body: chunked(mp.body, 50),
			headers: [['Content-Type', mp.contentType], ['Transfer-Encoding', 'chunked']] });
		const seen0 = probe.seen.length;
		assert.equal((await rawExchange(apache.ports.probe, request(`${E}/small`))).status, 200);
		assert.equal(probe.seen.length, seen0 + 1);
		const seen = probe.seen.at(-1);
		assert.equal(seen.params.CONTENT_LENGTH, String(mp.body.length));
		assert.equal(seen.params.HTTP_TRANSFER_ENCODING, undefined, 'the coding is Apache\'s business');
		assert.equal(seen.length, mp.body.length);
		const res = await rawExchange(apache.ports.vardata, request(t.url('small')));
		assert.equal(res.status, 204);
		assert.equal((await storedBytes(t.id, 'small')).bytes.toString(), 'small and chunked');
	});

	test('chunked POST over --max-body: vardata answers 413 JSON once it has read past the limit, nothing stored', async () => {
		const t = await task();
		const mp = multipart([{ name: 'data', filename: 'o.bin', contentType: OCTET, data: crypto.randomBytes(9 * 1024 * 1024) }]);
		// curl, which reads an early answer while it is still sending.
		const res = await fronts.vardata.postRaw(t.url('over'), mp.body, mp.contentType, ['-H', 'Transfer-Encoding: chunked']);
		assertError(res, 413, 'RestException', 'request body exceeds the limit of 8388608 bytes (--max-body)');
		assert.equal(res.headers['retry-after'], undefined);
		assert.equal(await s.variable(t.id, 'over'), null, 'nothing stored');
		assert.deepEqual(await s.orphanBytearrays(), [], 'no stray byte array');
	});

	test('escaped slash and "%25" in a name, an escaped slash in an id: the raw URI reaches vardata', async () => {
		const t = await task();
		assertNoContent(await fronts.vardata.putBytes(`${E}/task/${t.id}/localVariables/dir%2Ffile/data`, Buffer.from('slashed')));
		assert.equal((await storedBytes(t.id, 'dir/file')).bytes.toString(), 'slashed');
		assertValue(await sameAsNginx(`${E}/task/${t.id}/variables/dir%2Ffile/data`), { contentType: OCTET, body: 'slashed' });
		// ProxyPass would refuse this name itself (400), and ProxyPass with
		// "nocanon" any query string (403): the example uses a RewriteRule.
		assertNoContent(await fronts.vardata.putBytes(`${E}/task/${t.id}/localVariables/100%25/data`, Buffer.from('percent')));
		assert.equal((await storedBytes(t.id, '100%')).bytes.toString(), 'percent');
		assertValue(await sameAsNginx(`${E}/task/${t.id}/localVariables/100%25/data?x=%2F&y`), { contentType: OCTET, body: 'percent' });
		const missing = await sameAsNginx(`${E}/task/a%2Fb/variables/x/data`);
		assertError(missing, 404, 'InvalidRequestException', "Cannot get task variable x: task a/b doesn't exist: task is null");
		// Exactly the request target, query string included.
		const target = `${E}/task/a%2Fb/localVariables/c%2Fd%25e%20f/data?x=%2F&y=1`;
		const seen0 = probe.seen.length;
		assert.equal((await fronts.probe.request('GET', target)).status, 200);
		assert.equal(probe.seen.length, seen0 + 1);
		assert.equal(probe.seen.at(-1).params.REQUEST_URI, target);
	});

	test('errors of vardata pass through unchanged: the same status, JSON and headers as through nginx', async () => {
		const t = await task();
		assertError(await sameAsNginx(t.url('nope')), 404, 'InvalidRequestException',
			'task variable with name nope does not exist');
		assertError(await sameAsNginx(`${E}/variable-instance/no-such-id/data`), 404, 'InvalidRequestException',
			"Variable instance with Id 'no-such-id' does not exist.");
		assertError(await sameAsNginx(`${E}/engine/other/task/${t.id}/variables/x/data`), 404, 'RestException',
			'No process engine available');
		// A 400 and a 415 from vardata, through both.
		const bad = Buffer.from('--x\r\nno colon here\r\n\r\nv\r\n--x--\r\n');
		for (const [ct, status] of [['multipart/form-data; boundary=x', 400], ['application/json', 415]]) {
			const viaApache = await fronts.vardata.postRaw(t.url('bad'), bad, ct);
			const viaNginx = await s.postRaw(t.url('bad'), bad, ct);
			assert.equal(viaApache.status, status);
			assert.equal(viaApache.status, viaNginx.status);
			assert.ok(viaApache.body.equals(viaNginx.body), `body of the ${status}`);
			assert.equal(viaApache.headers['content-type'], 'application/json');
			assert.equal(viaApache.headers['content-length'], String(viaApache.body.length));
			assertOnce(viaApache, String(status));
		}
		assert.equal(await s.variable(t.id, 'bad'), null, 'nothing stored');
	});

	test('TRACE reaches vardata: 405 JSON with the Allow of the URL, although the server says TraceEnable Off; nothing is echoed', async () => {
		const t = await task();
		for (const [p, allow] of [[t.url('x'), 'GET, HEAD, POST'], [`${E}/variable-instance/v1/data`, 'GET, HEAD'],
			[`${E}/engine/default/variable-instance/a%2Fb/data`, 'GET, HEAD']]) {
			for (const method of ['TRACE', 'PUT', 'DELETE']) {
				const res = await fronts.vardata.request(method, p, { headers: { cookie: 'secret=1' } });
				assertError(res, 405, 'RestException', 'method not allowed on this resource');
				assert.equal(res.headers.allow, allow, `Allow of ${method} ${p}`);
				assertOnce(res, `${method} ${p}`);
			}
		}
		// Outside the API prefix Apache would answer TRACE itself: a 404.
		for (const p of ['/', `${E}`, '/x/data'])
			assertError(await fronts.vardata.request('TRACE', p, { headers: { cookie: 'secret=1' } }), 404, 'RestException', 'no resource at this path');
	});

	test('vardata not reachable: 503 JSON with Retry-After for GET, HEAD and POST; used again as soon as it listens', async () => {
		const dead = fronts.dead;
		const url = `${E}/task/t1/localVariables/x/data`;
		assertError(await dead.get(url), 503, 'RestException', UNAVAILABLE);
		const posted = await dead.putBytes(url, Buffer.from('lost'));
		assertError(posted, 503, 'RestException', UNAVAILABLE);
		assert.equal(posted.headers['retry-after'], '5');
		const head = await dead.request('HEAD', url);
		assert.equal(head.status, 503);
		assert.equal(head.headers['content-type'], 'application/json');
		assert.equal(head.headers['retry-after'], '5');
		assert.equal(head.body.length, 0);
		// Something listens there now: the next request reaches it (retry=0).
		const back = await startProbe(path.join(s.dir, 'dead.sock'));
		try {
			const res = await dead.request('GET', url);
			assert.equal(res.status, 200);
			assert.equal(back.seen.length, 1);
			assert.equal(back.seen[0].params.REQUEST_URI, url);
		} finally {
			await back.close();
		}
	});

	test("Apache's own errors in the API's JSON shape: outside the prefix, a declared body over 1 GiB, an unparsable request", async () => {
		for (const p of ['/', '/index.html', '/engine-rest', '/other/engine-rest/x', `${E}/task/t%00/variables/x/data`])
			assertError(await fronts.vardata.request('GET', p), 404, 'RestException', 'no resource at this path');
		// Refused before vardata is asked: vardata's own 413 names --max-body.
		const over = await rawExchange(apache.ports.vardata, rawRequest({ method: 'POST', target: `${E}/task/t1/localVariables/huge/data`,
			headers: [['Content-Type', 'multipart/form-data; boundary=x'], ['Content-Length', String(1024 ** 3 + 1)]] }));
		assertError(over, 413, 'RestException', 'request body exceeds the size limit (LimitRequestBody 1073741824)');
		assert.equal(over.headers.vary, undefined, 'the size check adds no Vary');
		const unparsable = await rawExchange(apache.ports.vardata,
			Buffer.from(`GET ${E}/task/t1/variables/x/data HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n`));
		assertError(unparsable, 400, 'RestException', 'the request cannot be parsed');
	});

	test("request ids: vardata is given Apache's UNIQUE_ID and logs it", async () => {
		const seen0 = probe.seen.length;
		assert.equal((await fronts.probe.request('GET', `${E}/id`)).status, 200);
		const { params } = probe.seen[seen0];
		assert.match(params.UNIQUE_ID, /^[A-Za-z0-9@_-]{20,}$/);
		assert.equal(params.REQUEST_ID, params.UNIQUE_ID);
		const url = `${E}/variable-instance/${s.uid('logged')}/data`;
		assert.equal((await fronts.vardata.request('GET', url)).status, 404);
		const line = await until('the access log line', async () =>
			(await fsp.readFile(apache.accessLog, 'utf8')).split('\n').find((l) => l.includes(`GET ${url} `)));
		const id = line.split(' ')[0];
		await until(`vardata's log line with ${id}`, async () =>
			(await fsp.readFile(s.vardataLog, 'utf8')).includes(` ${id} GET ${url} 404 `));
	});

	// A download that fails half-way (here: its database connection is
	// killed while Apache's buffers are full) has to fail at the client too.
	// vardata cannot change the status it has sent; it has to drop the
	// FastCGI connection, so that the web server does not end the response
	// as if it were whole.  Where Apache frames the body itself (chunked, its
	// default without ap_trust_cgilike_cl), a cleanly ended FastCGI request
	// became a complete, shorter download.
	test('a download cut off by a database failure fails at the client, whoever frames the body', async () => {
		const t = await task();
		const N = 1024 * 1024;
		const digests = [];
		for (let i = 1; i <= N; i++)
			digests.push(crypto.createHash('sha256').update(String(i)).digest());
		const value = Buffer.concat(digests);
		const { bytearrayId } = await s.insertVariable({ name: 'cut', bytes: Buffer.from('x'), taskId: t.id });
		await s.sql(`update act_ge_bytearray set bytes_ = (select string_agg(sha256(i::text::bytea), ''::bytea order by i)
			from generate_series(1, ${N}) i) where id_ = ${lit(bytearrayId)}`);
		assert.equal((await s.sql(`select length(bytes_) from act_ge_bytearray where id_ = ${lit(bytearrayId)}`))[0][0], String(value.length));
		for (const label of ['vardata', 'stock']) {
			// "Connection: close": on a kept-alive connection Apache leaves
			// the cut-off answer open until its KeepAliveTimeout (5 s) ends
			// it, with the same outcome for the client, only later.
			const agent = new http.Agent({ keepAlive: false });
			const got = { status: 0, headers: {}, received: [], complete: null, error: null };
			let res;
			const done = new Promise((resolve) => {
				const req = http.get(fronts[label].url(t.url('cut')), { agent }, (r) => {
					res = r;
					got.status = r.statusCode;
					got.headers = r.headers;
					r.pause();
					r.on('data', (c) => got.received.push(c));
					r.on('error', (e) => { got.error = e.message; });
					r.on('close', () => {
						got.complete = r.complete;
						resolve();
					});
				});
				req.on('error', (e) => {
					got.error = e.message;
					resolve();
				});
			});
			// The worker waits for Apache to take more, inside its read
			// transaction; kill its database connection there.
			const [[pid]] = await until('the download holding its transaction open', () => s.sql(
				"select pid from pg_stat_activity where application_name = 'vardata' and state = 'idle in transaction'")
				.then((rows) => (rows.length === 1 ? rows : null)));
			assert.ok(res, 'the response headers arrived');
			assert.deepEqual(await s.sql(`select pg_terminate_backend(${pid})`), [['t']]);
			res.resume();
			await done;
			agent.destroy();
			const body = Buffer.concat(got.received);
			assert.equal(got.status, 200, label);
			assert.ok(body.length < value.length, `${label}: cut off (${body.length} of ${value.length} bytes)`);
			assert.ok(body.equals(value.subarray(0, body.length)), `${label}: what came is the value's beginning`);
			assert.equal(got.complete, false, `${label}: the client sees an incomplete response, not a whole one of ${body.length} bytes`);
			if (label === 'vardata')
				assert.equal(got.headers['content-length'], String(value.length));
			else
				assert.equal(got.headers['transfer-encoding'], 'chunked');
		}
		// The pool serves again (the worker connects anew on its next request).
		await s.insertVariable({ name: 'after', bytes: Buffer.from('again'), taskId: t.id });
		assertValue(await fronts.vardata.get(t.url('after')), { contentType: OCTET, body: 'again' });
	});
});
