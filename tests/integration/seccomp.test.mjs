// The seccomp filter (--seccomp) and a database reached over TCP by name.
// A worker opens its first connection before the filter is in place; every
// later one (after a restart, a failover, an idle timeout) runs under it,
// and libpq then does more over TCP than over a unix socket: it resolves
// the host name, and asks GSSAPI for credentials, which lists its plugin
// directory.  A system call the filter does not allow kills the worker.
// The cluster of the suite listens on a unix socket only, so a forwarder
// on 127.0.0.1 stands in for a database server on the network.

import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import net from 'node:net';
import { delay, suite } from './harness.mjs';
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
function overTcp(stack) {
	const [, host, port] = /host=(\S+) port=(\d+)/.exec(stack.conninfo);
	target = `${host}/.s.PGSQL.${port}`;
	const rest = stack.conninfo.replace(/host=\S+/, '').replace(/port=\d+/, '').trim();
	return ['--db', `host=localhost port=${forwarder.address().port} ${rest}`];
}

suite('the seccomp filter and a database over TCP', { workers: 1, vardataArgs: overTcp }, (s, test) => {
	test('a worker whose connection was cut reconnects over TCP under the filter', async () => {
		const pi = s.uid('pi');
		await s.createProcessInstance(pi);
		const url = `${E}/process-instance/${pi}/variables/v/data`;
		assert.equal((await s.putBytes(url, Buffer.from('over tcp'))).status, 204);
		const [worker] = await childrenOf(s.proc.pid);
		const before = forwarded;
		assert.ok(before >= 1, 'the worker connected through the forwarder');
		// GSSAPI lists its plugin directory at most once per second of the
		// clock: a reconnect within the same second as the first connection
		// would not list it, and would pass even without the system call.
		await delay(1100);
		await s.sql(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'vardata'`);
		// The first request after the cut may find the dead connection (503);
		// the next one is served on a new one.
		const r = await pollUntil(async () => {
			const res = await send(s.port, 'GET', url);
			return res.status === 200 ? res : null;
		}, 20_000);
		assert.ok(r, 'served again after the reconnect');
		assert.equal(r.body.toString(), 'over tcp');
		assert.ok(forwarded > before, 'the new connection went through the forwarder too');
		assert.deepEqual(await childrenOf(s.proc.pid), [worker], 'the same worker, not killed by the filter');
		assert.doesNotMatch(await fsp.readFile(s.vardataLog, 'utf8'), /killed by signal 31/);
	});
});
