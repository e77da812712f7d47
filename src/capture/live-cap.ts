/**
 * The `cap` binding (optional dependency, built against libpcap) behind a small typed surface,
 * and its failures turned into one-line LiveCaptureErrors that say what to do.
 *
 * What cap gives and what it does not (node_modules/cap, src/binding.cc): `open(device, filter,
 * bufSize, buffer)` activates libpcap with snap length 65535, promiscuous mode and immediate mode,
 * compiles the filter, and returns the link type as a name; each packet is copied into the one
 * buffer given to open() and announced by a synchronous 'packet' event (nbytes, truncated).
 * There is no timestamp, no original length and no pcap_stats (kernel drops): see live-source.ts.
 */
import { createRequire } from 'node:module';
import { LiveCaptureError } from '../errors.js';

/** cap's fixed snap length (pcap_set_snaplen(handle, 65535) in its binding). */
export const CAP_SNAPLEN = 65535;

/** One instance of cap's `Cap` class: an EventEmitter emitting 'packet' (nbytes, truncated). */
export interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): boolean | void;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): unknown;
  removeAllListeners(event?: string): unknown;
}

export interface CapDevice {
  name: string;
  description?: string;
  addresses: { addr?: string }[];
  flags?: string;
}

/** The parts of the module we use. Tests pass a fake with the same shape. */
export interface CapModule {
  Cap: { new (): CapHandle; deviceList(): CapDevice[] };
}

export const INSTALL_HINT = 'install libpcap-dev (apt-get install libpcap-dev) and run `npm rebuild cap`';
export const PERMISSION_HINT =
  'run as root, or give node the capture capabilities: sudo setcap cap_net_raw,cap_net_admin=eip $(command -v node)';

/**
 * Loads cap. `load` is `require` (tests inject a failing one). A missing module and a module that
 * was never built (no build/Release/cap.node) or cannot load libpcap give the same advice.
 */
export function loadCap(load: (id: string) => unknown = createRequire(import.meta.url)): CapModule {
  let mod: unknown;
  try {
    mod = load('cap');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const what = err.code === 'MODULE_NOT_FOUND' && /'cap'/.test(err.message)
      ? 'the optional module `cap` is not installed'
      : `the optional module \`cap\` is not built or cannot load libpcap (${firstLine(err.message)})`;
    throw new LiveCaptureError(`live capture unavailable: ${what}: ${INSTALL_HINT}`);
  }
  const m = mod as Partial<CapModule> | null;
  if (!m || typeof m.Cap !== 'function' || typeof m.Cap.deviceList !== 'function') {
    throw new LiveCaptureError(`live capture unavailable: the module \`cap\` does not look like cap 0.2: ${INSTALL_HINT}`);
  }
  return m as CapModule;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

/** Interface names from libpcap (pcap_findalldevs), in its order. */
export function deviceNames(cap: CapModule): string[] {
  try {
    return cap.Cap.deviceList().map((d) => d.name);
  } catch (e) {
    throw new LiveCaptureError(`cannot list the capture interfaces (libpcap: ${firstLine((e as Error).message)}); ${PERMISSION_HINT}`);
  }
}

const PERMISSION_RE = /not permitted|permission|EPERM|EACCES/i;

/**
 * Opens `device` with `filter` on a fresh handle and returns the handle and cap's link type
 * name. Failures become LiveCaptureErrors: unknown interface (with the list), no permission, a
 * filter libpcap rejects (with its message), anything else libpcap says.
 */
export function openCap(cap: CapModule, device: string, filter: string, bufSize: number, buffer: Buffer): { handle: CapHandle; linkTypeName: string } {
  // Checked first: cap's open() on a missing device prints a libpcap warning on stderr before failing.
  const names = deviceNames(cap);
  if (!names.includes(device)) {
    throw new LiveCaptureError(`no interface "${device}": the interfaces are ${names.join(', ') || '(none visible)'}; choose one with -i`);
  }
  const handle = new cap.Cap();
  try {
    return { handle, linkTypeName: handle.open(device, filter, bufSize, buffer) };
  } catch (e) {
    keepFailed(handle);
    const msg = firstLine((e as Error).message);
    if (PERMISSION_RE.test(msg)) throw new LiveCaptureError(`no permission to capture on ${device} (libpcap: ${msg}): ${PERMISSION_HINT}`);
    if (filter !== '') {
      // libpcap reports the device first (activate), then the filter (compile): when the device
      // opens without the filter, the filter was the problem.
      const probe = new cap.Cap();
      let deviceOk = false;
      try {
        probe.open(device, '', bufSize, buffer);
        deviceOk = true;
      } catch {
        // The device itself fails: report the original message below.
        keepFailed(probe);
      }
      if (deviceOk) safeClose(probe);
      if (deviceOk) throw new LiveCaptureError(`bad capture filter ${JSON.stringify(filter)}: ${msg} (see man pcap-filter)`);
    }
    throw new LiveCaptureError(`cannot capture on ${device}: ${msg}`);
  }
}

/**
 * cap 0.2 cannot release a handle whose open() failed after pcap_create: its close() and its
 * destructor (run when the garbage collector frees the object) stop a libuv poll handle that was
 * never started, which aborts the process. Such handles are kept reachable and never closed;
 * there is at most one or two per failed start, and the command ends right after.
 */
const failedHandles: CapHandle[] = [];
function keepFailed(h: CapHandle): void {
  failedHandles.push(h);
}

export function safeClose(h: CapHandle): void {
  try {
    h.close();
  } catch {
    // Closing twice or after a failed open: nothing to release.
  }
}

/**
 * cap's link type name (what its binding returns from pcap_datalink) as a LINKTYPE_ number for
 * pcap files. DLT_RAW is 12 or 14 depending on the platform; in files it is LINKTYPE_RAW (101).
 */
export function capLinkType(name: string): number {
  switch (name) {
    case 'ETHERNET': return 1;
    case 'NULL': return 0;
    case 'RAW': return 101;
    case 'LINKTYPE_LINUX_SLL': return 113;
    case 'IEEE802_11_RADIO': return 127;
  }
  const m = /^Unknown linktype (\d+)$/.exec(name);
  if (m) {
    const dlt = Number(m[1]);
    return dlt === 12 || dlt === 14 ? 101 : dlt;
  }
  throw new LiveCaptureError(`cap reported an unexpected link type ${JSON.stringify(name)}`);
}
