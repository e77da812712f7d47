/** Reading `--haproxy-cfg` and `--haproxy-log` for the commands that take them. */
import fs from 'node:fs';
import { EXIT, ProxytraceError } from '../errors.js';
import { formatDiagnostic, parseHaproxyConfig, type HaproxyConfig } from '../correlate/haproxy/config.js';
import { parseHaproxyLogLine, type HaproxyLogLine } from '../correlate/haproxy/log-line.js';
import { escapeInline } from '../report/escape.js';

function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new ProxytraceError(`${file}: cannot read the ${what} (${code})`, EXIT.open);
  }
}

/** Parses haproxy.cfg; its errors are printed one line each, and the rest is still used. */
export function loadHaproxyConfig(file: string): HaproxyConfig {
  const cfg = parseHaproxyConfig(readText(file, 'HAProxy configuration'), file);
  for (const d of cfg.diagnostics) if (d.severity === 'error') process.stderr.write(`proxytrace: ${escapeInline(formatDiagnostic(d))}\n`);
  return cfg;
}

export function loadHaproxyLog(file: string): HaproxyLogLine[] {
  return readText(file, 'HAProxy log').split('\n').filter((l) => l.trim() !== '').map((l) => parseHaproxyLogLine(l));
}
