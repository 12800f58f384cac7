// What the tests learn about the vardata processes, from /proc only: the
// workers of a supervisor, the user a process runs as, and waits for the
// pool to reach a state.  Linux only, like the service's seccomp filter.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';

const POLL_MS = 20;

// Fields of /proc/PID/stat after the command name, which is in parentheses
// and may itself hold spaces or parentheses: the last ')' ends it.
function statFields(text) {
	return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

// The pids whose parent is ppid (state Z excluded: a dead worker not yet
// reaped is no worker).
export async function childrenOf(ppid) {
	const out = [];
	for (const name of await fsp.readdir('/proc')) {
		if (!/^\d+$/.test(name))
			continue;
		let text;
		try {
			text = await fsp.readFile(`/proc/${name}/stat`, 'latin1');
		} catch {
			continue;
		}
		const f = statFields(text);
		if (Number(f[1]) === ppid && f[0] !== 'Z')
			out.push(Number(name));
	}
	return out.sort((a, b) => a - b);
}

// Real, effective, saved and filesystem uid of a process (from its status file).
export function uidsOf(pid) {
	const text = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
	const line = text.split('\n').find((l) => l.startsWith('Uid:'));
	return line.split(/\s+/).slice(1, 5).map(Number);
}

export function gidsOf(pid) {
	const text = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
	const line = text.split('\n').find((l) => l.startsWith('Gid:'));
	return line.split(/\s+/).slice(1, 5).map(Number);
}

export function alive(pid) {
	try {
		const f = statFields(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'));
		return f[0] !== 'Z';
	} catch {
		return false;
	}
}

// Polls pred() until it returns a truthy value or the deadline passes;
// resolves to that value, or to the last (falsy) one.
export async function pollUntil(pred, timeoutMs) {
	const deadline = Date.now() + timeoutMs;
	let v;
	for (;;) {
		v = await pred();
		if (v || Date.now() >= deadline)
			return v;
		await new Promise((r) => setTimeout(r, POLL_MS));
	}
}

// Waits until the supervisor has exactly n workers; resolves to their pids
// (or to what it last saw when the deadline passed).
export async function waitWorkers(ppid, n, timeoutMs = 30_000) {
	let last = [];
	await pollUntil(async () => {
		last = await childrenOf(ppid);
		return last.length === n;
	}, timeoutMs);
	return last;
}

// The uid of a user name, from /etc/passwd.
export function uidOfUser(name) {
	for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
		const f = line.split(':');
		if (f[0] === name)
			return { uid: Number(f[2]), gid: Number(f[3]) };
	}
	return null;
}

// What each open file descriptor of a process points at ("socket:[...]",
// a path, a path ending in " (deleted)"), by its /proc/PID/fd path; null
// when the process is gone.
export async function openFiles(pid) {
	let fds;
	try {
		fds = await fsp.readdir(`/proc/${pid}/fd`);
	} catch {
		return null;
	}
	const files = [];
	for (const fd of fds) {
		const link = `/proc/${pid}/fd/${fd}`;
		try {
			files.push({ link, target: await fsp.readlink(link) });
		} catch {
			// The fd was closed while we looked.
		}
	}
	return files;
}

// The deleted regular files a process holds open (a vardata worker's spool
// file is unnamed: "/var/tmp/#123 (deleted)" in /proc): where each was, and
// its size; none when the process is gone.
export async function spoolFiles(pid) {
	const files = [];
	for (const { link, target } of (await openFiles(pid)) ?? []) {
		if (!target.endsWith(' (deleted)'))
			continue;
		// The fd may be closed while we look.
		const st = await fsp.stat(link).catch(() => null);
		if (st !== null && st.isFile())
			files.push({ dir: target.slice(0, target.lastIndexOf('/')), size: st.size });
	}
	return files;
}

// Sockets a process holds open.  An idle vardata worker holds two (the
// listening socket and its database connection); one that serves a request
// holds a third, the FastCGI connection from nginx, until the request ends.
export async function socketCount(pid) {
	const files = await openFiles(pid);
	return files === null ? -1 : files.filter((f) => f.target.startsWith('socket:')).length;
}

// Bytes a process has read and written through system calls so far.
export function ioOf(pid) {
	try {
		const text = fs.readFileSync(`/proc/${pid}/io`, 'latin1');
		const get = (k) => Number((new RegExp(`^${k}: (\\d+)`, 'm').exec(text) || [])[1] || 0);
		return { rchar: get('rchar'), wchar: get('wchar') };
	} catch {
		return { rchar: 0, wchar: 0 };
	}
}

export function signal(pid, sig) {
	try {
		process.kill(pid, sig);
		return true;
	} catch {
		return false;
	}
}

// The one-letter state of a process (R, S, D, T for stopped, Z, ...), or '' when it is gone.
export function stateOf(pid) {
	try {
		return statFields(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'))[0];
	} catch {
		return '';
	}
}

// SIGSTOP and wait until the process has really stopped, so that what /proc
// says about it afterwards stands still.
export async function freeze(pid, timeoutMs = 5000) {
	if (!signal(pid, 'SIGSTOP'))
		return false;
	return Boolean(await pollUntil(() => stateOf(pid) === 'T', timeoutMs));
}

let clockTicks = null;

// How long ago a process started, in milliseconds (field 22 of its stat
// file, in clock ticks since boot, against /proc/uptime).
export function ageMs(pid) {
	if (clockTicks === null)
		clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
	try {
		const start = Number(statFields(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'))[19]);
		const uptime = Number(fs.readFileSync('/proc/uptime', 'latin1').split(' ')[0]);
		return uptime * 1000 - (start / clockTicks) * 1000;
	} catch {
		return -1;
	}
}

// Connections waiting in the queue of the listening unix socket at path, not
// yet accepted: in /proc/net/unix they carry the listener's path, state 02
// (connecting) and no inode until accept() takes them.
export function pendingConnections(socketPath) {
	let n = 0;
	for (const line of fs.readFileSync('/proc/net/unix', 'latin1').split('\n').slice(1)) {
		const f = line.trim().split(/\s+/);
		if (f.length >= 8 && f.slice(7).join(' ') === socketPath && f[5] === '02')
			n++;
	}
	return n;
}
