// The seccomp filter (--seccomp) and a database reached over TCP by name.
// A worker opens its first connection before the filter is in place; every
// later one (after a restart, a failover, an idle timeout) runs under it,
// and libpq then does more over TCP than over a unix socket: it resolves
// the host name, and asks GSSAPI for credentials, which lists its plugin
// directory.  A system call the filter does not allow kills the worker.
// The cluster of the suite listens on a unix socket only, so a forwarder
// on 127.0.0.1 stands in for a database server on the network.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { clusterUser, delay, isRoot, run, suite } from './harness.mjs';
import { send } from './lib/load.mjs';
import { childrenOf, pollUntil } from './lib/procs.mjs';

const E = '/engine-rest';
let target = null;	// the cluster's unix socket, known once it runs
let forwarded = 0;

// 127.0.0.1:<port> -> the cluster's unix socket.
const forwarder = net.createServer((client) => {
	forwarded++;
	if (target === null) {
		client.destroy();
		return;
	}
	const db = net.connect(target);
	client.pipe(db);
	db.pipe(client);
	client.on('error', () => db.destroy());
	db.on('error', () => client.destroy());
	client.on('close', () => db.destroy());
	db.on('close', () => client.destroy());
});
await new Promise((resolve) => forwarder.listen(0, '127.0.0.1', resolve));
forwarder.unref();

// The harness's conninfo names the database and the user; the host and port
// become the forwarder's (a later --db wins).
const overTcp = (name) => (stack) => {
	const [, host, port] = /host=(\S+) port=(\d+)/.exec(stack.conninfo);
	target = `${host}/.s.PGSQL.${port}`;
	const rest = stack.conninfo.replace(/host=\S+/, '').replace(/port=\d+/, '').trim();
	return ['--db', `host=${name} port=${forwarder.address().port} ${rest}`];
};

// A value stored through the pool's one worker: its URL, and that worker.
async function storedByTheWorker(s, text) {
	const pi = s.uid('pi');
	await s.createProcessInstance(pi);
	const url = `${E}/process-instance/${pi}/variables/v/data`;
	assert.equal((await s.putBytes(url, Buffer.from(text))).status, 204);
	const [worker] = await childrenOf(s.proc.pid);
	return { url, worker };
}

// After its connection was cut, the worker serves the value again, on a new
// connection made under the filter, which did not kill it.  The first
// request after the cut may find the dead connection (503); the next one is
// served on a new one.
async function servedAgain(s, url, text, worker) {
	const r = await pollUntil(async () => {
		const res = await send(s.port, 'GET', url);
		return res.status === 200 ? res : null;
	}, 20_000);
	assert.ok(r, 'served again after the reconnect');
	assert.equal(r.body.toString(), text);
	assert.deepEqual(await childrenOf(s.proc.pid), [worker], 'the same worker, not killed by the filter');
	assert.doesNotMatch(await fsp.readFile(s.vardataLog, 'utf8'), /killed by signal 31/);
}

// Whether each of vardata's sessions uses TLS ('t' or 'f').
const sessionsTls = (s) => s.sql(`select s.ssl from pg_stat_ssl s join pg_stat_activity a using (pid)
	where a.application_name = 'vardata'`);

// A host name with two addresses, ::1 and 127.0.0.1 (the forwarder listens
// on the second): /etc/hosts as vardata sees it, in a mount namespace of its
// own.  Sorting two addresses, glibc's getaddrinfo() opens a netlink socket,
// which the filter refuses (EAFNOSUPPORT) rather than kill the worker for.
const TWO = 'vardata-db-two';
let twoAddresses = null;
if (isRoot) {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vd-hosts-'));
	fs.chmodSync(dir, 0o755);
	twoAddresses = path.join(dir, 'hosts');
	fs.writeFileSync(twoAddresses, `${fs.readFileSync('/etc/hosts', 'utf8')}\n::1 ${TWO}\n127.0.0.1 ${TWO}\n`,
		{ mode: 0o644 });
	process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
}
const inNamespace = (hosts) => ['unshare', '-m', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hosts];

for (const [title, options] of [
	['the seccomp filter and a database over TCP', { workers: 1, vardataArgs: overTcp('localhost') }],
	...(isRoot ? [[`the seccomp filter and a database host name with two addresses (${TWO})`,
		{ workers: 1, vardataArgs: overTcp(TWO), wrapper: inNamespace(twoAddresses) }]] : []),
]) suite(title, options, (s, test) => {
	test('a worker whose connection was cut reconnects over TCP under the filter', async () => {
		const { url, worker } = await storedByTheWorker(s, 'over tcp');
		const before = forwarded;
		assert.ok(before >= 1, 'the worker connected through the forwarder');
		// GSSAPI lists its plugin directory at most once per second of the
		// clock: a reconnect within the same second as the first connection
		// would not list it, and would pass even without the system call.
		await delay(1100);
		await s.sql(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'vardata'`);
		await servedAgain(s, url, 'over tcp', worker);
		assert.ok(forwarded > before, 'the new connection went through the forwarder too');
	});
});

// A worker's first connection is made before the filter is in place; when
// the server asks for TLS only later (libpq's default sslmode, prefer, uses
// it whenever the server offers it), every handshake runs under the filter.
suite('the seccomp filter and a database that turns TLS on', { workers: 1, vardataArgs: overTcp('localhost') }, (s, test) => {
	test('a worker whose connection was cut reconnects with TLS under the filter', async () => {
		const { url, worker } = await storedByTheWorker(s, 'over tls');
		assert.deepEqual(await sessionsTls(s), [['f']], 'the first connection without TLS');

		// A certificate for the cluster, owned by the user it runs as.
		const dir = path.join(s.dir, 'tls');
		await fsp.mkdir(dir, { mode: 0o700 });
		const [cert, key] = [path.join(dir, 'server.crt'), path.join(dir, 'server.key')];
		await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost',
			'-days', '1', '-keyout', key, '-out', cert]);
		if (isRoot) {
			const user = await clusterUser();
			await run('chown', ['-R', `${user}:`, dir]);
		}
		await fsp.chmod(key, 0o600);
		await s.sql(`alter system set ssl_cert_file = '${cert}'`);
		await s.sql(`alter system set ssl_key_file = '${key}'`);
		await s.sql('alter system set ssl = on');
		// PostgreSQL speaks TLS over TCP only: the cluster listens on the
		// loopback too (its pg_hba.conf trusts it), and the forwarder goes
		// there.  The restart cuts the worker's connection.
		await s.sql("alter system set listen_addresses = '127.0.0.1'");
		await s.stopDatabase();
		await s.startDatabase();
		const [[ssl]] = await s.sql('show ssl');
		assert.equal(ssl, 'on', 'the cluster offers TLS');
		target = { host: '127.0.0.1', port: Number(/port=(\d+)/.exec(s.conninfo)[1]) };

		await servedAgain(s, url, 'over tls', worker);
		assert.deepEqual(await sessionsTls(s), [['t']], 'the new connection uses TLS');
	});
});
