/**
 * PROXY protocol parser: byte vectors from haproxy's doc/proxy-protocol.txt and headers captured
 * from HAProxy 2.6.12 itself, split inputs, and garbage.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32c } from '../src/app/proxy-protocol/crc32c.js';
import { parseProxyProtocol, type ProxyHeader, type ProxyProtocolResult } from '../src/app/proxy-protocol/parse-proxy-protocol.js';
import { decodeSslTlv, tlvTypeName } from '../src/app/proxy-protocol/tlv.js';

const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const concat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const SIG = '0d0a0d0a000d0a515549540a';

function ok(r: ProxyProtocolResult): ProxyHeader {
  assert.equal(r.status, 'ok', JSON.stringify(r));
  return (r as { header: ProxyHeader }).header;
}
function invalid(r: ProxyProtocolResult, pattern: RegExp): void {
  assert.equal(r.status, 'invalid', JSON.stringify(r));
  assert.match((r as { reason: string }).reason, pattern);
}

/** Every strict prefix is 'incomplete' with a need that never overshoots; the whole parses. */
function checkSplits(bytes: Uint8Array, headerLength: number): void {
  for (let n = 0; n < headerLength; n++) {
    const r = parseProxyProtocol(bytes.subarray(0, n));
    assert.equal(r.status, 'incomplete', `prefix of ${n} bytes: ${JSON.stringify(r)}`);
    const need = (r as { need: number }).need;
    assert.ok(need >= 1 && n + need <= headerLength, `prefix ${n}: need ${need} overshoots ${headerLength}`);
  }
  assert.equal(ok(parseProxyProtocol(bytes)).length, headerLength);
}

describe('PROXY protocol v1', () => {
  it('the spec example before an HTTP request', () => {
    const line = 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n';
    const data = ascii(`${line}GET / HTTP/1.1\r\nHost: 192.168.0.11\r\n\r\n`);
    const h = ok(parseProxyProtocol(data));
    assert.deepEqual(h, {
      version: 1, command: 'PROXY', family: 'TCP4', source: '192.168.0.1:56324', destination: '192.168.0.11:443', tlvs: [], length: line.length,
    });
    assert.equal(Buffer.from(data.subarray(h.length, h.length + 5)).toString(), 'GET /');
  });

  it('the spec maximum lengths: 56 (TCP4), 104 (TCP6), 15 and 107 (UNKNOWN)', () => {
    const tcp4 = 'PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n';
    assert.equal(tcp4.length, 56);
    assert.equal(ok(parseProxyProtocol(ascii(tcp4))).source, '255.255.255.255:65535');
    const f = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    const tcp6 = `PROXY TCP6 ${f} ${f} 65535 65535\r\n`;
    assert.equal(tcp6.length, 104);
    const h6 = ok(parseProxyProtocol(ascii(tcp6)));
    assert.equal(h6.family, 'TCP6');
    assert.equal(h6.source, `[${f}]:65535`);
    const short = ok(parseProxyProtocol(ascii('PROXY UNKNOWN\r\n')));
    assert.deepEqual([short.family, short.source, short.destination, short.length], ['UNKNOWN', null, null, 15]);
    const worst = `PROXY UNKNOWN ${f} ${f} 65535 65535\r\n`;
    assert.equal(worst.length, 107);
    assert.equal(ok(parseProxyProtocol(ascii(worst))).length, 107);
    // One byte more and the CRLF is no longer within the first 107 characters.
    invalid(parseProxyProtocol(ascii(`PROXY UNKNOWN ${f} ${f} 65535 655350\r\n`)), /107/);
  });

  it('TCP6 from HAProxy 2.6.12 send-proxy, normalised to RFC 5952', () => {
    const h = ok(parseProxyProtocol(ascii('PROXY TCP6 ::1 ::1 47296 18087\r\nGET /z HTTP/1.1\r\n')));
    assert.equal(h.source, '[::1]:47296');
    assert.equal(h.destination, '[::1]:18087');
    assert.equal(ok(parseProxyProtocol(ascii('PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::ffff:10.0.0.1 1 2\r\n'))).source, '[2001:db8::1]:1');
  });

  it('UNKNOWN ignores whatever precedes the CRLF', () => {
    assert.equal(ok(parseProxyProtocol(ascii('PROXY UNKNOWN whatever 1.2.3.4\r\n'))).family, 'UNKNOWN');
  });

  it('rejects what the spec forbids', () => {
    invalid(parseProxyProtocol(ascii('PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\n')), /LF without CR/);
    invalid(parseProxyProtocol(ascii('PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\rX')), /CR not followed by LF/);
    invalid(parseProxyProtocol(ascii('PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n')), /protocol/);
    invalid(parseProxyProtocol(ascii('PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n')), /one space apart/);
    invalid(parseProxyProtocol(ascii('PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n')), /one space apart/);
    invalid(parseProxyProtocol(ascii('PROXY TCP4 192.168.000.1 5.6.7.8 1 2\r\n')), /dotted quads/); // leading zeros
    invalid(parseProxyProtocol(ascii('PROXY TCP4 256.1.1.1 5.6.7.8 1 2\r\n')), /dotted quads/);
    invalid(parseProxyProtocol(ascii('PROXY TCP4 1.2.3.4 5.6.7.8 0443 2\r\n')), /leading zeros/);
    invalid(parseProxyProtocol(ascii('PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n')), /0\.\.65535/);
    invalid(parseProxyProtocol(ascii('PROXY TCP4 ::1 ::1 1 2\r\n')), /dotted quads/); // family mismatch
    invalid(parseProxyProtocol(ascii('PROXY TCP6 1.2.3.4 ::1 1 2\r\n')), /IPv6/);
    invalid(parseProxyProtocol(ascii('PROXY TCP6 1::2::3 ::1 1 2\r\n')), /IPv6/);
    invalid(parseProxyProtocol(ascii('PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n')), /unsupported protocol/);
    invalid(parseProxyProtocol(ascii('PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n')), /one space apart/);
    invalid(parseProxyProtocol(ascii('PROXYTCP4')), /exactly one space/);
    invalid(parseProxyProtocol(ascii(`PROXY UNKNOWN ${'x'.repeat(200)}`)), /107/);
  });

  it('split: incomplete until the CRLF, then ok', () => {
    const line = 'PROXY TCP4 127.0.0.90 127.0.0.22 33513 80\r\n';
    checkSplits(ascii(`${line}GET / HTTP/1.1\r\n`), line.length);
    checkSplits(ascii('PROXY UNKNOWN\r\n'), 15);
  });
});

describe('PROXY protocol v2', () => {
  it('TCP over IPv4 (\\x21 \\x11, 12 address bytes)', () => {
    const data = hex(`${SIG} 21 11 000c c0a80001 c0a8000b dc04 01bb 474554`);
    const h = ok(parseProxyProtocol(data));
    assert.deepEqual(h, {
      version: 2, command: 'PROXY', family: 'TCP4', source: '192.168.0.1:56324', destination: '192.168.0.11:443', tlvs: [], length: 28,
    });
  });

  it('TCP over IPv6 (\\x21, 36 bytes) and UDP over IPv4 (\\x12)', () => {
    const h = ok(parseProxyProtocol(hex(`${SIG} 21 21 0024 20010db8000000000000000000000001 00000000000000000000ffff0a000001 0050 1f90`)));
    assert.deepEqual([h.family, h.source, h.destination, h.length], ['TCP6', '[2001:db8::1]:80', '[::ffff:10.0.0.1]:8080', 52]);
    const u = ok(parseProxyProtocol(hex(`${SIG} 21 12 000c 01020304 05060708 0035 0035`)));
    assert.deepEqual([u.family, u.source], ['UDP4', '1.2.3.4:53']);
  });

  it('UNIX stream (\\x31, 2 × 108 bytes), including an abstract socket', () => {
    const path = (s: string): Uint8Array => {
      const b = new Uint8Array(108);
      b.set(ascii(s));
      return b;
    };
    const h = ok(parseProxyProtocol(concat(hex(`${SIG} 21 31 00d8`), path('/run/client.sock'), path('\0haproxy'))));
    assert.deepEqual([h.family, h.source, h.destination, h.length], ['UNIX_STREAM', 'unix:/run/client.sock', 'unix:@haproxy', 232]);
  });

  it('LOCAL: no addresses, whatever the family says; the length is still honoured', () => {
    const h = ok(parseProxyProtocol(hex(`${SIG} 20 00 0000 474554`)));
    assert.deepEqual([h.command, h.family, h.source, h.destination, h.length], ['LOCAL', 'UNSPEC', null, null, 16]);
    // "Receivers MUST always consider this field to skip the appropriate number of bytes."
    const withBlock = ok(parseProxyProtocol(hex(`${SIG} 20 11 000c 01020304 05060708 0001 0002 47`)));
    assert.deepEqual([withBlock.command, withBlock.source, withBlock.length], ['LOCAL', null, 28]);
    assert.equal(ok(parseProxyProtocol(hex(`${SIG} 20 11 0003 aabbcc`))).length, 19);
  });

  it('TLVs listed as {type, value}; PP2_TYPE_SSL decoded', () => {
    const ssl = '01 00000000 21 0007 544c5376312e33 22 0003 616263';
    const sslLen = (ssl.replace(/\s/g, '').length / 2).toString(16).padStart(4, '0');
    const tlvs = `01 0002 6832 02 000b 6578616d706c652e636f6d 04 0000 20 ${sslLen} ${ssl}`;
    const len = 12 + hex(tlvs).length;
    const h = ok(parseProxyProtocol(hex(`${SIG} 21 11 ${len.toString(16).padStart(4, '0')} 7f000001 7f000002 0001 0002 ${tlvs}`)));
    assert.deepEqual(h.tlvs.map((t) => [tlvTypeName(t.type), Buffer.from(t.value).toString('latin1')]).slice(0, 3), [
      ['ALPN', 'h2'], ['AUTHORITY', 'example.com'], ['NOOP', ''],
    ]);
    const sslTlv = h.tlvs[3];
    assert.ok(sslTlv);
    const decoded = decodeSslTlv(sslTlv.value);
    assert.equal(decoded?.client, 1);
    assert.equal(decoded?.verify, 0);
    assert.deepEqual(decoded?.subTlvs.map((t) => [tlvTypeName(t.type), Buffer.from(t.value).toString()]), [['SSL_VERSION', 'TLSv1.3'], ['SSL_CN', 'abc']]);
    assert.equal(tlvTypeName(0xe3), 'CUSTOM_0xe3');
  });

  it('headers sent by HAProxy 2.6.12 (send-proxy-v2 proxy-v2-options crc32c,unique-id)', () => {
    // IPv4 client 127.0.0.1:52408 to the frontend 127.0.0.1:18086, unique-id "abc123".
    const v4 = hex(`${SIG}2111001c7f0000017f000001ccb846a60300049f0bd23c050006616263313233474554202f78`);
    const h = ok(parseProxyProtocol(v4));
    assert.deepEqual([h.source, h.destination, h.length], ['127.0.0.1:52408', '127.0.0.1:18086', 44]);
    assert.deepEqual(h.tlvs.map((t) => [tlvTypeName(t.type), Buffer.from(t.value).toString('hex')]), [['CRC32C', '9f0bd23c'], ['UNIQUE_ID', '616263313233']]);
    const v6 = hex(`${SIG}212100340000000000000000000000000000000100000000000000000000000000000001ea3c46a603000423eb8f72050006616263313233`);
    const h6 = ok(parseProxyProtocol(v6));
    assert.deepEqual([h6.family, h6.source, h6.destination, h6.length], ['TCP6', '[::1]:59964', '[::1]:18086', 68]);
    // A corrupted byte anywhere in the header now fails the checksum.
    const bad = v4.slice();
    bad[17] = 0x7e;
    invalid(parseProxyProtocol(bad), /CRC32C mismatch/);
  });

  it('CRC32c check value (RFC 3720 / iSCSI: "123456789" = 0xE3069283)', () => {
    assert.equal(crc32c(ascii('123456789')), 0xe3069283);
  });

  it('rejects what the spec forbids', () => {
    invalid(parseProxyProtocol(hex(`${SIG} 11 11 000c 01020304 05060708 0001 0002`)), /version 1/);
    invalid(parseProxyProtocol(hex(`${SIG} 22 11 000c 01020304 05060708 0001 0002`)), /command 2/);
    invalid(parseProxyProtocol(hex(`${SIG} 21 41 0000`)), /family 4/);
    invalid(parseProxyProtocol(hex(`${SIG} 21 13 0000`)), /transport protocol 3/);
    invalid(parseProxyProtocol(hex(`${SIG} 21 11 0008 01020304 05060708`)), /needs 12/);
    invalid(parseProxyProtocol(hex(`${SIG} 21 11 000f 01020304 05060708 0001 0002 01 0005`)), /TLV overruns/);
    invalid(parseProxyProtocol(hex(`${SIG} 21 11 0011 01020304 05060708 0001 0002 03 0002 0000`)), /CRC32C TLV of 2 bytes/);
  });

  it('split: incomplete with an exact need once the length is known', () => {
    const data = hex(`${SIG}2111001c7f0000017f000001ccb846a60300049f0bd23c050006616263313233474554`);
    checkSplits(data, 44);
    assert.deepEqual(parseProxyProtocol(data.subarray(0, 20)), { status: 'incomplete', need: 24 });
    assert.deepEqual(parseProxyProtocol(data.subarray(0, 5)), { status: 'incomplete', need: 11 });
  });
});

describe('not a PROXY header', () => {
  it('absent for other protocols, incomplete only while a signature is still possible', () => {
    assert.deepEqual(parseProxyProtocol(ascii('GET / HTTP/1.1\r\n')), { status: 'absent' });
    assert.deepEqual(parseProxyProtocol(ascii('POST / HTTP/1.1\r\n')), { status: 'absent' });
    assert.deepEqual(parseProxyProtocol(hex('16030100c8010000c40303')), { status: 'absent' }); // TLS ClientHello
    assert.deepEqual(parseProxyProtocol(hex('0d0a0d0a0a')), { status: 'absent' });
    assert.deepEqual(parseProxyProtocol(ascii('PRI * HTTP/2.0\r\n')), { status: 'absent' });
    assert.equal(parseProxyProtocol(ascii('P')).status, 'incomplete');
    assert.equal(parseProxyProtocol(new Uint8Array(0)).status, 'incomplete');
    assert.equal(parseProxyProtocol(hex('0d0a0d')).status, 'incomplete');
  });

  it('never throws on random bytes, with or without a signature in front', () => {
    let seed = 12345;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 16;
    };
    const prefixes = [new Uint8Array(0), hex(SIG), hex(`${SIG}21`), ascii('PROXY '), ascii('PROXY TCP4 ')];
    for (let i = 0; i < 5000; i++) {
      const body = new Uint8Array(rnd() % 300);
      for (let j = 0; j < body.length; j++) body[j] = rnd() & 255;
      const r = parseProxyProtocol(concat(prefixes[i % prefixes.length] ?? new Uint8Array(0), body));
      assert.ok(['ok', 'incomplete', 'absent', 'invalid'].includes(r.status));
      if (r.status === 'ok') assert.ok(r.header.length >= 15);
    }
  });
});
