/**
 * `proxytrace live -i` with libpcap for real: the errors users meet first (unknown interface,
 * bad filter, no permission), and stopping by Ctrl-C and by --count. Needs a built `cap`; all
 * but the unknown interface need root (skipped on a laptop, failing in CI).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { test } from 'node:test';
import { CLI, oneErrorLine, runCli } from './helpers/cli.js';
import { Procs, needCap } from './helpers/live-procs.js';
import { needRoot, ROOT, withoutCapabilities } from './helpers/tools.js';

/** Connects to a port nothing listens on: a SYN and a RST on lo, 2 packets. */
function knock(host: string, port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, localAddress: host });
    s.once('error', () => resolve());
    s.once('connect', () => {
      s.destroy();
      resolve();
    });
  });
}

test('live -i on an interface that does not exist: exit 5, one line listing the interfaces there are', (t) => {
  if (!needCap(t)) return;
  const r = runCli(['live', '-i', 'no-such-if0']);
  assert.equal(r.status, 5);
  assert.match(oneErrorLine(r.stderr), /^proxytrace: no interface "no-such-if0": the interfaces are .*\blo\b.*; choose one with -i$/);
});

test('live -i lo with a filter libpcap rejects: exit 5, one line with libpcap\'s message', (t) => {
  if (!needRoot(t) || !needCap(t)) return;
  const r = runCli(['live', '-i', 'lo', '-f', 'tcp and and']);
  assert.equal(r.status, 5);
  assert.equal(oneErrorLine(r.stderr), 'proxytrace: bad capture filter "tcp and and": can\'t parse filter expression: syntax error (see man pcap-filter)');
  const addr = runCli(['live', '-i', 'lo', '-f', 'host 127.0.0.999']);
  assert.equal(addr.status, 5);
  assert.match(oneErrorLine(addr.stderr), /^proxytrace: bad capture filter "host 127\.0\.0\.999": .*127\.0\.0\.999/);
});

test('live -i lo without the permission (root without capabilities): exit 5, one line saying to run as root or setcap', (t) => {
  if (!needRoot(t) || !needCap(t)) return;
  const [cmd, args] = withoutCapabilities(process.execPath, [CLI, 'live', '-i', 'lo']);
  const r = spawnSync(cmd, args, { cwd: ROOT, timeout: 8000, encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
  assert.equal(r.signal, null);
  assert.equal(r.status, 5, r.stderr);
  assert.match(oneErrorLine(r.stderr), /^proxytrace: no permission to capture on lo \(libpcap: .*\): run as root, or give node the capture capabilities: sudo setcap cap_net_raw,cap_net_admin=eip \$\(command -v node\)$/);
});

test('live -i lo: Ctrl-C (SIGINT) stops the capture, then the analysis is printed; --count stops by itself', { timeout: 30_000 }, async (t) => {
  if (!needRoot(t) || !needCap(t)) return;
  const procs = new Procs();
  try {
    const live = procs.proxytrace('live', ['live', '-i', 'lo', '-f', 'tcp and host 127.0.0.171']);
    await procs.waitFor(live, /^proxytrace: capturing on lo \(EN10MB, snap length 65535\) with filter "tcp and host 127\.0\.0\.171"; stops on Ctrl-C$/m, 5000);
    await knock('127.0.0.171', 9);
    await new Promise((r) => setTimeout(r, 300));
    procs.signal(live, 'SIGINT');
    const exit = await procs.waitExit(live, 10_000);
    assert.equal(exit.code, 0, live.stderr());
    assert.match(live.stdout(), /^sessions: 0, requests: 0/m);
    assert.match(live.stdout(), /^capture: 2 packets in [\d.]+ s; 0 dropped \(queue full\); stopped$/m);

    const counted = procs.proxytrace('live --count', ['live', '-i', 'lo', '-f', 'tcp and host 127.0.0.172', '--count', '4', '--ndjson']);
    await procs.waitFor(counted, /stops after 4 packets, on Ctrl-C/, 5000);
    await knock('127.0.0.172', 9);
    await knock('127.0.0.172', 9);
    await knock('127.0.0.172', 9);
    const exit2 = await procs.waitExit(counted, 10_000);
    assert.equal(exit2.code, 0, counted.stderr());
    assert.equal(counted.stdout(), '');
    assert.match(counted.stderr(), /^proxytrace: capture: 4 packets in [\d.]+ s; 0 dropped \(queue full\); packet count reached$/m);
  } finally {
    await procs.stopAll();
  }
});
