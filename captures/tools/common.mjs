// Shared helpers for the capture tools (node 20 built-ins only).
import fs from 'node:fs';

// Parse "--key value" / "--flag" style arguments. Repeated keys become arrays.
export function parseArgs(argv = process.argv.slice(2), defaults = {}) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const key = a.slice(2);
    const next = argv[i + 1];
    let val = true;
    if (next !== undefined && !next.startsWith('--')) { val = next; i++; }
    if (key in out && Array.isArray(out[key])) out[key] = [...out[key], val];
    else out[key] = val;
  }
  return out;
}

// Wall-clock time with sub-millisecond resolution, epoch seconds.
export function now() {
  return (performance.timeOrigin + performance.now()) / 1000;
}

// JSON-lines recorder. Writes synchronously so nothing is lost on SIGTERM.
export function recorder(path, base = {}) {
  if (!path || path === 'none') return () => {};
  const fd = fs.openSync(path, 'a');
  return (event, fields = {}) => {
    const t = now();
    const rec = { t: Number(t.toFixed(6)), iso: new Date(t * 1000).toISOString(), ...base, event, ...fields };
    fs.writeSync(fd, JSON.stringify(rec) + '\n');
  };
}

// Printable representation of a byte buffer.
export function show(buf) {
  return { bytes: buf.length, text: buf.toString('latin1'), hex: buf.length <= 64 ? buf.toString('hex') : undefined };
}

export function hostPort(s, defPort) {
  const m = /^(.*?)(?::(\d+))?$/.exec(s);
  return { host: m[1], port: Number(m[2] ?? defPort) };
}

// Exit cleanly on the usual signals, running a final callback.
export function onStop(fn) {
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { try { fn(sig); } finally { process.exit(0); } });
}
