// Several instances (issue 4): two vardata pools on two unix sockets behind
// one nginx upstream (nginx/vardata-two-pools.conf), both reaching
// PostgreSQL through PgBouncer in transaction pooling mode
// (pgbouncer/pgbouncer.ini and pgbouncer_hba.conf), each file used as
// shipped with only its paths substituted.
//
//   - With --no-prepare everything works through PgBouncer; one pool
//     stopped with SIGTERM or killed with SIGKILL under load moves the
//     traffic to the other, and no write answered 204 is lost.
//   - With named prepared statements (vardata's default) PgBouncer 1.18 in
//     transaction mode breaks requests: a statement prepared on one server
//     connection is missing on the next, or is prepared twice on one.  From
//     PgBouncer 1.21 on, max_prepared_statements makes PgBouncer carry them;
//     the test then checks that instead.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { BIN, SRCDIR, Stack, clusterUser, freePort, isRoot, multipart, run } from './harness.mjs';
import { Load, isJsonError, send, stopRunning } from './lib/load.mjs';
import { alive, childrenOf, pollUntil, signal } from './lib/procs.mjs';

const E = '/engine-rest';
const WORKERS = 2;
const TASK = 'inst-task';
const url = (n) => `${E}/task/${TASK}/localVariables/${n}/data`;
const PGBOUNCER = process.env.PGBOUNCER || '/usr/sbin/pgbouncer';
const START_DEADLINE_MS = 60_000;
const STOP_DEADLINE_MS = 45_000;
const NGINX_UNAVAILABLE = 'the service is not available; try again later';
// The strings the example files carry and the test replaces.
const CONF_LISTEN = '127.0.0.1:8080';
const CONF_SOCKET = { a: '/run/vardata/vardata-a.sock', b: '/run/vardata/vardata-b.sock' };
const INI_DB = 'host=/var/run/postgresql port=5432 dbname=camunda user=vardata';
const INI_RUN = '/run/vardata-pgbouncer';
const INI_HBA = '/etc/vardata/pgbouncer_hba.conf';
const INI_USERS = '/etc/vardata/pgbouncer_users.txt';
const INI_LOG = '/var/log/vardata/pgbouncer.log';

function substitute(text, pairs, file) {
	for (const [from, to] of pairs) {
		if (!text.includes(from))
			throw new Error(`${file} does not contain "${from}"`);
		text = text.split(from).join(to);
	}
	return text;
}

async function pgbouncerVersion() {
	const { stdout } = await run(PGBOUNCER, ['--version']);
	const m = /PgBouncer (\d+)\.(\d+)/.exec(stdout.toString());
	return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

const [BOUNCER_MAJOR, BOUNCER_MINOR] = await pgbouncerVersion().catch(() => [0, 0]);

// The harness's stack with two pools and PgBouncer instead of one pool.
class TwoPools extends Stack {
	constructor({ prepare, extraIni = '' }) {
		super({ workers: WORKERS });
		this.prepare = prepare;
		this.extraIni = extraIni;
		this.pools = {};
		this.bouncer = null;
	}

	get bouncerDir() {
		return path.join(this.dir, 'bouncer');
	}

	poolLog(name) {
		return path.join(this.dir, `vardata-${name}.log`);
	}

	poolSocket(name) {
		return path.join(this.dir, `vardata-${name}.sock`);
	}

	// Who runs PgBouncer and the pools: the cluster's user (pgctl), which
	// also owns the stack directory.
	async account() {
		const user = await clusterUser();
		const { stdout } = await run('id', ['-u', user]);
		const uid = Number(stdout.toString());
		const gid = Number((await run('id', ['-g', user])).stdout.toString());
		return { user, uid, gid };
	}

	// Called by the harness's startAll() after PostgreSQL and the schema.
	async startVardata() {
		this.acct = await this.account();
		await this.startBouncer();
		for (const name of ['a', 'b'])
			await this.startPool(name);
	}

	async startBouncer() {
		const { user, uid, gid } = this.acct;
		await fsp.mkdir(this.bouncerDir, { recursive: true, mode: 0o755 });
		const m = /host=(\S+) port=(\d+) dbname=(\S+) user=(\S+)/.exec(this.conninfo);
		assert.ok(m, `conninfo of the test cluster: ${this.conninfo}`);
		const hba = substitute(await fsp.readFile(path.join(SRCDIR, 'pgbouncer', 'pgbouncer_hba.conf'), 'utf8'),
			[[' vardata  peer', ` ${user}  peer`]], 'pgbouncer/pgbouncer_hba.conf');
		const hbaFile = path.join(this.bouncerDir, 'pgbouncer_hba.conf');
		await fsp.writeFile(hbaFile, hba);
		const users = substitute(await fsp.readFile(path.join(SRCDIR, 'pgbouncer', 'userlist.txt'), 'utf8'),
			[['"vardata"', `"${user}"`]], 'pgbouncer/userlist.txt');
		const usersFile = path.join(this.bouncerDir, 'pgbouncer_users.txt');
		await fsp.writeFile(usersFile, users);
		let ini = substitute(await fsp.readFile(path.join(SRCDIR, 'pgbouncer', 'pgbouncer.ini'), 'utf8'), [
			[INI_DB, `host=${m[1]} port=${m[2]} dbname=${m[3]} user=${m[4]}`],
			[INI_RUN, this.bouncerDir],
			[INI_HBA, hbaFile],
			[INI_USERS, usersFile],
			[INI_LOG, path.join(this.dir, 'pgbouncer.log')],
			['stats_users = vardata', `stats_users = ${user}`],
		], 'pgbouncer/pgbouncer.ini');
		ini += this.extraIni;
		this.iniFile = path.join(this.bouncerDir, 'pgbouncer.ini');
		await fsp.writeFile(this.iniFile, ini);
		if (isRoot)
			await run('chown', ['-R', `${uid}:${gid}`, this.bouncerDir]);
		const logfd = fs.openSync(path.join(this.dir, 'pgbouncer.out'), 'a', 0o644);
		try {
			// PgBouncer refuses to run as root: as root it runs as the cluster's user.
			this.bouncer = spawn(PGBOUNCER, [this.iniFile], {
				stdio: ['ignore', logfd, logfd], ...(isRoot ? { uid, gid } : {}),
			});
		} finally {
			fs.closeSync(logfd);
		}
		this.bouncerExit = new Promise((resolve) => this.bouncer.on('exit', (code, sig) => resolve({ code, signal: sig })));
		const sock = path.join(this.bouncerDir, '.s.PGSQL.6432');
		assert.ok(await pollUntil(() => fs.existsSync(sock), START_DEADLINE_MS), 'PgBouncer listens');
		this.bouncerConninfo = `host=${this.bouncerDir} port=6432 dbname=vardata user=${user}`;
	}

	async startPool(name) {
		const args = ['--db', this.bouncerConninfo, '--listen', `unix:${this.poolSocket(name)}`, '--socket-mode', '0666',
			'--workers', String(WORKERS), '--seccomp', ...(this.prepare ? [] : ['--no-prepare'])];
		if (isRoot)
			args.push('--user', this.acct.user);
		const logfd = fs.openSync(this.poolLog(name), 'a', 0o644);
		let proc;
		try {
			proc = spawn(BIN, args, { stdio: ['ignore', logfd, logfd] });
		} finally {
			fs.closeSync(logfd);
		}
		const pool = { name, proc, exited: null };
		pool.exit = new Promise((resolve) => proc.on('exit', (code, sig) => {
			pool.exited = { code, signal: sig };
			resolve(pool.exited);
		}));
		this.pools[name] = pool;
		const up = await pollUntil(async () => pool.exited || (fs.existsSync(this.poolSocket(name)) &&
			(await childrenOf(proc.pid)).length === WORKERS), START_DEADLINE_MS);
		assert.ok(up && !pool.exited, `pool ${name} started: ${JSON.stringify(pool.exited)}`);
		return pool;
	}

	async startNginxOnce() {
		this.port = await freePort();
		this.base = `http://127.0.0.1:${this.port}`;
		const conf = substitute(await fsp.readFile(path.join(SRCDIR, 'nginx', 'vardata-two-pools.conf'), 'utf8'), [
			[CONF_LISTEN, `127.0.0.1:${this.port}`], [CONF_SOCKET.a, this.poolSocket('a')], [CONF_SOCKET.b, this.poolSocket('b')],
		], 'nginx/vardata-two-pools.conf');
		const block = path.join(this.dir, 'server.conf');
		await fsp.writeFile(block, conf);
		await run(path.join(SRCDIR, 'scripts', 'nginxctl'), ['start', this.dir, block]);
		this.started.nginx = true;
	}

	// Ready when nginx answers with vardata's JSON: a 404 for a variable
	// instance that cannot exist, or (named prepared statements through
	// PgBouncer) the 503 or 500 those produce.
	async waitReady(timeoutMs = START_DEADLINE_MS) {
		const ok = await pollUntil(async () => {
			const r = await send(this.port, 'GET', `${E}/variable-instance/none/data`, { timeout: 5000 });
			return r.status === 404 || (this.prepare && [500, 503].includes(r.status) && !isJsonError(r, 503, NGINX_UNAVAILABLE));
		}, timeoutMs);
		assert.ok(ok, 'vardata answers through nginx');
	}

	async stopPool(name, sig = 'SIGTERM') {
		const pool = this.pools[name];
		if (!pool || pool.exited)
			return pool && pool.exited;
		pool.proc.kill(sig);
		let timer;
		const r = await Promise.race([pool.exit, new Promise((resolve) => {
			timer = setTimeout(() => resolve('timeout'), STOP_DEADLINE_MS);
		})]);
		clearTimeout(timer);
		if (r === 'timeout') {
			pool.proc.kill('SIGKILL');
			await pool.exit;
			throw new Error(`pool ${name} ignored ${sig}`);
		}
		return r;
	}

	async stop() {
		if (this.dir === null)
			return;
		const errors = [];
		for (const name of Object.keys(this.pools)) {
			await this.stopPool(name).catch((e) => errors.push(e.message));
			// Workers of a pool whose supervisor was SIGKILLed.
			for (const pid of this.pools[name].orphans || [])
				signal(pid, 'SIGKILL');
		}
		if (this.bouncer && this.bouncer.exitCode === null && this.bouncer.signalCode === null) {
			this.bouncer.kill('SIGTERM');
			await this.bouncerExit;
		}
		if (errors.length)
			await this.dumpLogs('pools did not stop cleanly');
		await super.stop();
		if (errors.length)
			throw new Error(errors.join('\n'));
	}

	async dumpLogs(why) {
		await super.dumpLogs(why);
		if (this.dir === null)
			return;
		for (const f of ['vardata-a.log', 'vardata-b.log', 'pgbouncer.log']) {
			const text = await fsp.readFile(path.join(this.dir, f), 'utf8').catch((e) => `(${e.code})`);
			process.stderr.write(`---- ${f} (last 40 lines)\n${text.split('\n').slice(-41).join('\n')}\n`);
		}
	}

	// SHOW commands on PgBouncer's admin database, as the user it trusts.
	async show(what) {
		const args = ['-X', '-q', '-At', '-F', '|', '-h', this.bouncerDir, '-p', '6432', '-U', this.acct.user, '-d', 'pgbouncer', '-c', `SHOW ${what}`];
		const out = await new Promise((resolve, reject) => {
			const child = spawn('psql', args, { stdio: ['ignore', 'pipe', 'pipe'], ...(isRoot ? { uid: this.acct.uid, gid: this.acct.gid } : {}), env: { ...process.env, HOME: this.dir } });
			let text = '';
			let err = '';
			child.stdout.on('data', (c) => { text += c; });
			child.stderr.on('data', (c) => { err += c; });
			child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`SHOW ${what}: ${err}`))));
		});
		return out.trim().split('\n').filter(Boolean).map((l) => l.split('|'));
	}

	// Request lines a pool's log holds: "vardata[pid]: id METHOD path status ...".
	async served(name) {
		const text = await fsp.readFile(this.poolLog(name), 'utf8').catch(() => '');
		return text.split('\n').filter((l) => / (GET|POST|HEAD) \/engine-rest\/\S* \d{3} /.test(l)).length;
	}
}

// One stack per describe(), as the harness's suite() does for its Stack.
function poolsSuite(title, options, body) {
	describe(title, () => {
		const s = new TwoPools(options);
		before(() => s.start(), { timeout: START_DEADLINE_MS * 3 });
		// Whatever a failed test left running stops here.
		afterEach(() => stopRunning());
		after(() => s.stop(), { timeout: STOP_DEADLINE_MS * 3 });
		const test = (name, fn) => it(name, { timeout: 300_000 }, async (t) => {
			try {
				await fn(t);
			} catch (e) {
				await s.dumpLogs(`test failed: ${name}`);
				throw e;
			}
		});
		body(s, test);
	});
}

const describeAnswer = (e) => `${e.kind} ${e.name || ''}: ${e.status} ${e.error || (e.body || '').toString().slice(0, 160)}`;

// Every write answered 204, straight from PostgreSQL: the variable row and
// its byte array hold exactly the value sent.
async function assertAllStored(s, load) {
	const acked = load.acknowledged();
	const rows = await s.rows(`select v.name_, encode(sha256(b.bytes_), 'hex') as sha from act_ru_variable v
		join act_ge_bytearray b on b.id_ = v.bytearray_id_ where v.var_scope_ = '${TASK}' and v.name_ like '${load.prefix}-%'`);
	const stored = new Map(rows.map((r) => [r.name_, r.sha]));
	const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
	const lost = acked.filter((w) => stored.get(w.name) !== sha(w.value)).map((w) => w.name);
	assert.deepEqual(lost, [], `every acknowledged write is stored (${acked.length})`);
	return acked.length;
}

// Every write answered 204, read back through nginx, whole.
async function assertAllReadBack(s, load) {
	const acked = load.acknowledged();
	assert.ok(acked.length > 0, 'some writes were acknowledged');
	const lost = [];
	for (const w of acked) {
		const r = await send(s.port, 'GET', url(w.name));
		if (r.status !== 200 || !r.body.equals(w.value))
			lost.push(`${w.name}: ${r.status} ${r.body.length} bytes`);
	}
	assert.deepEqual(lost, [], `every acknowledged write is there (${acked.length})`);
	return acked.length;
}

poolsSuite('two pools through PgBouncer (transaction pooling), --no-prepare', { prepare: false }, (s, test) => {
	before(async () => {
		await s.createTask(TASK);
		await s.insertVariable({ name: 'steady', bytes: Buffer.from('steady value'), taskId: TASK });
	});

	const newLoad = (prefix) => new Load({ port: s.port, clients: 4, prefix, writeUrl: url, readUrl: url('steady'), pauseMs: 10 }).start();

	test('both pools serve, every connection goes through PgBouncer in transaction mode, nothing fails', async () => {
		const [a0, b0] = [await s.served('a'), await s.served('b')];
		const load = newLoad('both');
		await pollUntil(() => load.log.length >= 400, 60_000);
		const log = await load.stop();
		assert.deepEqual(log.filter((e) => e.status !== (e.kind === 'write' ? 204 : 200)).map(describeAnswer), [], 'all succeeded');
		assert.ok(await s.served('a') > a0 && await s.served('b') > b0, 'nginx spread the requests over both pools');
		await assertAllReadBack(s, load);

		const config = Object.fromEntries((await s.show('CONFIG')).map((r) => [r[0], r[1]]));
		assert.equal(config.pool_mode, 'transaction');
		// Every worker of both pools is a client of PgBouncer ...
		const clients = (await s.show('CLIENTS')).filter((r) => r[1] === s.acct.user && r[2] === 'vardata');
		assert.equal(clients.length, 2 * WORKERS, `PgBouncer's clients: ${JSON.stringify(clients)}`);
		// ... and PostgreSQL sees no more connections than PgBouncer's pool.
		const servers = (await s.show('SERVERS')).filter((r) => r[1] === s.acct.user && r[2] === 'vardata');
		const [[backends]] = await s.sql(`select count(*) from pg_stat_activity where datname = current_database()
			and backend_type = 'client backend' and pid <> pg_backend_pid()`);
		assert.ok(servers.length >= 1 && servers.length <= Number(config.default_pool_size), `server connections: ${servers.length}`);
		assert.equal(Number(backends), servers.length, 'every PostgreSQL connection is one of PgBouncer\'s');
		s.log(`pgbouncer: ${clients.length} clients, ${servers.length} server connections`);
	});

	// A file's Content-Disposition carries its name twice (a fallback and
	// the percent-encoded UTF-8 form): 600 non-ASCII characters make a
	// header of about 8 KiB, past nginx's default header buffer, which this
	// configuration once kept.
	test('a File with a 600-character non-ASCII name downloads through both pools\' nginx', async () => {
		const name = `${'ü'.repeat(600)}.txt`;
		const value = crypto.randomBytes(100);
		const mp = multipart([{ name: 'data', filename: name, contentType: 'application/octet-stream', data: value },
			{ name: 'valueType', data: 'File' }]);
		const p = `/engine-rest/task/${TASK}/localVariables/long-name/data`;
		assert.equal((await send(s.port, 'POST', p, { headers: { 'Content-Type': mp.contentType }, body: mp.body })).status, 204);
		const r = await send(s.port, 'GET', p);
		assert.equal(r.status, 200, r.body.toString().slice(0, 200));
		assert.ok(r.body.equals(value), 'the value');
		assert.ok(r.headers['content-disposition'].endsWith(`filename*=UTF-8''${'%C3%BC'.repeat(600)}.txt`));
	});

	test('SIGTERM of one pool under load: no request fails, the other pool takes over, the stopped pool exits 0', async () => {
		const load = newLoad('term');
		await pollUntil(() => load.acknowledged().length >= 20, 60_000);
		const bBefore = await s.served('b');
		const exit = await s.stopPool('a', 'SIGTERM');
		const stoppedAt = Date.now();
		await pollUntil(() => load.log.filter((e) => e.started > stoppedAt).length >= 100, 60_000);
		const log = await load.stop();
		assert.deepEqual(exit, { code: 0, signal: null }, 'pool a exits with status 0');
		assert.deepEqual(log.filter((e) => e.status !== (e.kind === 'write' ? 204 : 200)).map(describeAnswer), [],
			'no request failed, before, during or after the stop');
		assert.ok(await s.served('b') > bBefore + 50, 'pool b took the traffic');
		await assertAllReadBack(s, load);
		// Back to two pools for what follows.
		await s.startPool('a');
	});

	test('SIGKILL of one pool (supervisor and workers) under load: traffic moves to the other, no acknowledged write is lost', async () => {
		const load = newLoad('kill');
		await pollUntil(() => load.acknowledged().length >= 20, 60_000);
		const pool = s.pools.b;
		const victims = [pool.proc.pid, ...(await childrenOf(pool.proc.pid))];
		assert.equal(victims.length, 1 + WORKERS);
		pool.orphans = victims.slice(1);
		const aBefore = await s.served('a');
		for (const pid of victims)
			signal(pid, 'SIGKILL');
		const gone = await pollUntil(() => victims.every((p) => !alive(p)), 10_000);
		assert.ok(gone, 'the pool is dead');
		const killedAt = Date.now();
		await pollUntil(() => load.log.filter((e) => e.started > killedAt).length >= 100, 60_000);
		const log = await load.stop();
		// What was in flight on the dead pool may fail, as nginx's 503 JSON (a
		// POST it had sent is not retried); nothing else fails.
		const failed = log.filter((e) => e.status !== (e.kind === 'write' ? 204 : 200));
		assert.deepEqual(failed.filter((e) => !isJsonError(e, 503, NGINX_UNAVAILABLE)).map(describeAnswer), [],
			'failures are nginx\'s 503 JSON only');
		assert.deepEqual(failed.filter((e) => e.started > killedAt).map(describeAnswer), [],
			'every request after the kill succeeded');
		assert.ok(failed.length <= load.clients, `at most one request in flight per client failed (${failed.length})`);
		assert.ok(await s.served('a') > aBefore + 50, 'pool a took the traffic');
		const n = await assertAllReadBack(s, load);
		s.log(`kill: ${log.length} answers, ${failed.length} failed (in flight on the killed pool), ${n} writes read back`);
	});
});

// With its default LIFO reuse, PgBouncer may, under light contention, hand
// each worker back the very server connection it prepared on, and then
// nothing breaks: the failure this suite demonstrates would depend on
// timing.  Handing server connections out in turn makes it certain.
poolsSuite('two pools through PgBouncer (transaction pooling), named prepared statements', {
	prepare: true, extraIni: '\nserver_round_robin = 1\n',
}, (s, test) => {
	before(async () => {
		await s.createTask(TASK);
	});

	test('PgBouncer before 1.21 in transaction mode breaks named prepared statements: requests fail with "prepared statement" errors', async (t) => {
		if (BOUNCER_MAJOR > 1 || BOUNCER_MINOR >= 21) {
			t.skip(`PgBouncer ${BOUNCER_MAJOR}.${BOUNCER_MINOR} can carry prepared statements (max_prepared_statements)`);
			return;
		}
		const load = new Load({ port: s.port, clients: 8, prefix: 'prep', writeUrl: url, readUrl: url('prep-c0-0'), pauseMs: 5 }).start();
		await pollUntil(() => load.log.length >= 400, 60_000);
		const log = await load.stop();
		const failed = log.filter((e) => e.status !== (e.kind === 'write' ? 204 : 200) && !(e.kind === 'read' && e.status === 404));
		const logs = (await fsp.readFile(s.poolLog('a'), 'utf8')) + (await fsp.readFile(s.poolLog('b'), 'utf8'));
		const errors = logs.match(/prepared statement "vd_\w+" (does not exist|already exists)/g) || [];
		s.log(`named prepared statements through PgBouncer: ${failed.length} of ${log.length} requests failed; ` +
			`statuses ${JSON.stringify(countBy(failed, (e) => e.status))}; log: ${JSON.stringify(countBy(errors, (x) => x))}`);
		assert.ok(failed.length > 0, 'some requests fail');
		assert.ok(errors.length > 0, 'PostgreSQL reports missing or duplicate prepared statements');
		// They fail as vardata's own JSON errors, never as a hang or a crash.
		assert.deepEqual(failed.filter((e) => !(isJsonError(e, 500) || isJsonError(e, 503))).map(describeAnswer), []);
		assert.doesNotMatch(logs, /killed by signal/);
		// The writes that were acknowledged (if any got through) are there
		// all the same (read from PostgreSQL: reading through these pools
		// fails as well).
		await assertAllStored(s, load);
	});
});

// PgBouncer before 1.21 does not know max_prepared_statements (and would
// not start with it), so this stack is built only where it exists.
if (BOUNCER_MAJOR > 1 || BOUNCER_MINOR >= 21) {
	poolsSuite('two pools through PgBouncer with max_prepared_statements', {
		prepare: true, extraIni: '\nmax_prepared_statements = 100\n',
	}, (s, test) => {
		before(() => s.createTask(TASK));
		test('named prepared statements work when PgBouncer carries them', async () => {
			const load = new Load({ port: s.port, clients: 8, prefix: 'prep', writeUrl: url, pauseMs: 5 }).start();
			await pollUntil(() => load.log.length >= 400, 60_000);
			const log = await load.stop();
			assert.deepEqual(log.filter((e) => e.status !== 204).map(describeAnswer), []);
			await assertAllReadBack(s, load);
		});
	});
} else {
	it(`named prepared statements with max_prepared_statements: PgBouncer ${BOUNCER_MAJOR}.${BOUNCER_MINOR} is older than 1.21`,
		{ skip: 'PgBouncer before 1.21 cannot carry prepared statements' }, () => {});
}

function countBy(list, key) {
	const out = {};
	for (const x of list)
		out[key(x)] = (out[key(x)] || 0) + 1;
	return out;
}
