import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Conversation, eventsOf, handshake, merge, runCapture, runOne } from './helpers/tcp-harness.js';

const C = '10.0.0.1:51000';
const S = '10.0.0.2:443';

test('full handshake, request/response, FIN both ways: SF, ShADadFf, bytes, RTT', async () => {
  const conv = new Conversation(C, S, 1000, 5000, { step: 0.010 });
  conv.syn({ at: 0 });
  conv.synAck({ at: 0.010 });
  conv.ack(0, { at: 0.025 });
  conv.data(0, 'GET / HTTP/1.1\r\n\r\n'); // 18 bytes
  conv.ack(1);
  conv.data(1, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi'); // 40 bytes
  conv.ack(0);
  conv.fin(0);
  conv.fin(1);
  conv.ack(0);
  const r = await runOne(conv.packets);
  assert.equal(r.client, C);
  assert.equal(r.server, S);
  assert.equal(r.state, 'SF');
  // S (SYN) h (SYN-ACK) A (client pure ACK) D (client data) a (server pure ACK) d (server data)
  // [client's second pure ACK: A once only] F (client FIN) f (server FIN) [last ACK: nothing new].
  assert.equal(r.history, 'ShADadFf');
  assert.equal(r.flipped, false);
  assert.equal(r.data[0].toString('latin1'), 'GET / HTTP/1.1\r\n\r\n');
  assert.equal(r.data[1].toString('latin1'), 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi');
  assert.deepEqual(r.bytes, [18, 40]);
  assert.deepEqual(eventsOf(r, 0), [{ kind: 'data', offset: 0, length: 18 }]);
  assert.deepEqual(eventsOf(r, 1), [{ kind: 'data', offset: 0, length: 40 }]);
  assert.deepEqual(r.missedBytes, [0, 0]);
  assert.deepEqual(r.retransmittedBytes, [0, 0]);
  assert.deepEqual(r.packets, [6, 4]);
  assert.equal(r.packetCallbacks, 10);
  assert.deepEqual(r.anomalies, {});
  // SYN at 0, the client's ACK of the SYN-ACK at 25 ms.
  assert.equal(r.handshakeRtt, 0.025);
  assert.equal(r.conn.half[0].mss, 1460);
  assert.equal(r.conn.half[1].windowScale, 7);
  assert.equal(r.conn.half[0].isn, 1000);
  assert.equal(r.conn.half[1].isn, 5000);
});

test('retransmitted SYN and FIN with the same sequence number add no letter', async () => {
  const conv = new Conversation(C, S, 77, 99);
  conv.syn();
  conv.syn({ dt: 1, seq: 77 });
  conv.synAck();
  conv.ack(0);
  conv.data(0, 'ping');
  conv.data(1, 'pong');
  conv.fin(0);
  conv.fin(0, { dt: 0.2, seq: (77 + 1 + 4) >>> 0 });
  conv.fin(1);
  conv.ack(0);
  const r = await runOne(conv.packets);
  // Second SYN and second FIN carry the same seq: Zeek repeats s/h/f/r only for a new one.
  // The server's data packet carries an ACK but is a data packet: 'd', not 'a'.
  assert.equal(r.history, 'ShADdFf');
  assert.equal(r.state, 'SF');
  assert.deepEqual(r.bytes, [4, 4]);
  // The handshake RTT counts from the first SYN.
  assert.equal(r.handshakeRtt, 1.002);
});

test('REJ: SYN answered by RST-ACK → "Sr"', async () => {
  const conv = new Conversation(C, S, 1000, 0);
  conv.syn();
  conv.rst(1, { flags: 'RA', ack: 1001 });
  const r = await runOne(conv.packets);
  assert.equal(r.state, 'REJ');
  assert.equal(r.history, 'Sr');
  assert.deepEqual(r.bytes, [0, 0]);
  assert.deepEqual(r.events, []);
  assert.equal(r.handshakeRtt, null);
});

test('S0: SYN only, retransmitted (same ISN) → one connection, "S"', async () => {
  const conv = new Conversation(C, S, 1000, 0);
  conv.syn();
  conv.syn({ dt: 1, seq: 1000 });
  conv.syn({ dt: 2, seq: 1000 });
  const r = await runOne(conv.packets);
  assert.equal(r.state, 'S0');
  assert.equal(r.history, 'S');
  assert.deepEqual(r.packets, [3, 0]);
  assert.deepEqual(r.bytes, [0, 0]);
});

test('S1: established, data both ways, never closed', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, 'hello');
  conv.ack(1);
  conv.data(1, 'world!');
  conv.ack(0);
  const r = await runOne(conv.packets);
  assert.equal(r.state, 'S1');
  assert.equal(r.history, 'ShADad');
  assert.deepEqual(r.bytes, [5, 6]);
  assert.equal(r.data[0].toString(), 'hello');
  assert.equal(r.data[1].toString(), 'world!');
});

test('S1 already after SYN + SYN-ACK (Zeek establishes both endpoints on the SYN-ACK)', async () => {
  const conv = new Conversation(C, S, 1000, 5000);
  conv.syn();
  conv.synAck();
  const r = await runOne(conv.packets);
  assert.equal(r.history, 'Sh');
  assert.equal(r.state, 'S1');
  assert.equal(r.handshakeRtt, null);
});

test('RSTO: the client aborts an established connection', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, 'hello');
  conv.ack(1);
  conv.rst(0);
  const r = await runOne(conv.packets);
  assert.equal(r.state, 'RSTO');
  assert.equal(r.history, 'ShADaR');
  assert.deepEqual(r.bytes, [5, 0]);
});

test('RSTR: the server aborts an established connection', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, 'hello');
  conv.rst(1, { flags: 'RA' });
  const r = await runOne(conv.packets);
  assert.equal(r.state, 'RSTR');
  assert.equal(r.history, 'ShADr');
  assert.equal(r.data[0].toString(), 'hello');
});

test('SF stays SF when a RST follows the FIN exchange', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, 'q');
  conv.data(1, 'a');
  conv.fin(0);
  conv.fin(1);
  conv.rst(0);
  const r = await runOne(conv.packets);
  // Zeek: a RST from a closed endpoint whose peer is closed too does not change the state.
  assert.equal(r.history, 'ShADdFfR');
  assert.equal(r.state, 'SF');
});

test('SH: SYN then FIN from the client, nothing from the server', async () => {
  const conv = new Conversation(C, S, 1000, 0);
  conv.syn();
  conv.send(0, 'F', '', { seq: 1001 });
  const r = await runOne(conv.packets);
  assert.equal(r.state, 'SH');
  assert.equal(r.history, 'SF');
});

test('midstream, first packet from the server: roles from ports, "^", OTH', async () => {
  const conv = new Conversation(C, '10.0.0.2:8080', 0x10000, 0x20000);
  conv.data(1, 'tail of a response');
  conv.ack(0);
  conv.data(0, 'next request');
  conv.ack(1);
  const r = await runOne(conv.packets);
  assert.equal(r.client, C);
  assert.equal(r.server, '10.0.0.2:8080');
  assert.equal(r.flipped, true);
  assert.equal(r.history, '^dADa');
  assert.equal(r.state, 'OTH');
  assert.equal(r.data[1].toString(), 'tail of a response');
  assert.equal(r.data[0].toString(), 'next request');
  assert.deepEqual(eventsOf(r, 1), [{ kind: 'data', offset: 0, length: 18 }]);
  assert.deepEqual(eventsOf(r, 0), [{ kind: 'data', offset: 0, length: 12 }]);
  assert.deepEqual(r.anomalies, { midstream_start: 1 });
});

test('midstream, first packet from the client: no "^"', async () => {
  const conv = new Conversation('192.168.1.9:40000', '192.168.1.1:22', 7, 9);
  conv.data(0, 'abc');
  conv.ack(1);
  conv.data(1, 'defg');
  conv.ack(0);
  const r = await runOne(conv.packets);
  assert.equal(r.client, '192.168.1.9:40000');
  assert.equal(r.server, '192.168.1.1:22');
  assert.equal(r.history, 'DadA');
  assert.equal(r.state, 'OTH');
  assert.deepEqual(r.bytes, [3, 4]);
});

test('SYN-ACK seen first: "^", roles from the SYN-ACK, stream offsets from its ISN', async () => {
  const conv = new Conversation(C, S, 1000, 5000);
  conv.send(0, 'S', '', { drop: true }); // the SYN is not in the capture
  conv.synAck();
  conv.ack(0);
  conv.data(0, 'req');
  conv.ack(1);
  conv.data(1, 'response');
  conv.ack(0);
  conv.close();
  const r = await runOne(conv.packets);
  assert.equal(r.client, C);
  assert.equal(r.server, S);
  assert.equal(r.flipped, true);
  assert.equal(r.history, '^hADadFf');
  assert.equal(r.state, 'SF');
  assert.deepEqual(r.bytes, [3, 8]);
  assert.deepEqual(eventsOf(r, 0), [{ kind: 'data', offset: 0, length: 3 }]);
  assert.deepEqual(eventsOf(r, 1), [{ kind: 'data', offset: 0, length: 8 }]);
});

test('SYN-ACK seen first, never closed: S1 like Zeek', async () => {
  const conv = new Conversation(C, S, 1000, 5000);
  conv.send(0, 'S', '', { drop: true });
  conv.synAck();
  conv.ack(0);
  conv.data(0, 'req');
  const r = await runOne(conv.packets);
  assert.equal(r.history, '^hAD');
  assert.equal(r.state, 'S1');
});

test('RSTOS0: SYN then RST from the client, nothing from the server', async () => {
  const conv = new Conversation(C, S, 1000, 0);
  conv.syn();
  conv.rst(0, { seq: 1001 });
  const r = await runOne(conv.packets);
  assert.equal(r.history, 'SR');
  assert.equal(r.state, 'RSTOS0');
});

test('scan: SYN, SYN-ACK, RST from the client → ShR, RSTO', async () => {
  const conv = new Conversation(C, S, 1000, 5000);
  conv.syn();
  conv.synAck();
  conv.rst(0);
  const r = await runOne(conv.packets);
  assert.equal(r.history, 'ShR');
  assert.equal(r.state, 'RSTO');
});

test('FIN then RST from the client, then the server FIN: a normal close (SF)', async () => {
  const conv = handshake(C, S, 1000, 5000);
  conv.data(0, 'q');
  conv.fin(0);
  conv.rst(0);
  conv.fin(1);
  const r = await runOne(conv.packets);
  assert.equal(r.history, 'ShADFRf');
  assert.equal(r.state, 'SF');
});

test('history: FIN or SYN carrying data adds no d; FIN repeats only for a new end sequence', async () => {
  const conv = handshake(C, S, 1000, 5000);
  // Client request and FIN in one segment (seq 1001, 3 bytes, FIN at 1004).
  conv.send(0, 'FPA', 'bye');
  // The server ACKs the data only; the client retransmits the FIN alone at 1004: same FIN sequence.
  conv.ack(1, { ack: 1004 });
  conv.send(0, 'FA', '', { seq: 1004, dt: 0.2 });
  conv.data(1, 'ok');
  conv.fin(1);
  conv.ack(0);
  const r = await runOne(conv.packets);
  // Zeek writes D only for packets with none of SYN/FIN/RST: the client's only data rides a FIN.
  assert.equal(r.history, 'ShAFadf');
  assert.equal(r.state, 'SF');
  assert.equal(r.data[0].toString(), 'bye');
  assert.deepEqual(r.bytes, [3, 2]);
});

test('history: SYN+FIN is q only, FIN+RST is i only', async () => {
  const a = new Conversation(C, S, 1000, 5000);
  a.send(0, 'SF', '');
  const ra = await runOne(a.packets);
  assert.equal(ra.history, 'Q');
  assert.deepEqual(ra.anomalies, { syn_fin: 1 });
  assert.equal(ra.state, 'SH');

  const b = handshake('10.0.0.1:51001', S, 1000, 5000);
  b.data(0, 'x');
  b.send(1, 'FRA', '');
  const rb = await runOne(b.packets);
  assert.equal(rb.history, 'ShADi');
  assert.equal(rb.anomalies['fin_rst'], 1);
  assert.equal(rb.state, 'RSTR');
});

test('SYN with data (TCP Fast Open): delivered at offset 0, no D for the SYN itself', async () => {
  const conv = new Conversation(C, S, 1000, 5000);
  conv.send(0, 'S', 'early', { options: { mss: 1460 } });
  conv.synAck();
  conv.ack(0);
  conv.data(0, '+more');
  conv.data(1, 'reply');
  conv.close();
  const r = await runOne(conv.packets);
  assert.equal(r.data[0].toString(), 'early+more');
  assert.deepEqual(eventsOf(r, 0), [
    { kind: 'data', offset: 0, length: 5 },
    { kind: 'data', offset: 5, length: 5 },
  ]);
  assert.deepEqual(r.anomalies, { syn_with_data: 1 });
  assert.equal(r.history, 'ShADdFf');
  assert.deepEqual(r.bytes, [10, 5]);
});

test('midstream roles: a server seen accepting a SYN is the server later, whatever its port', async () => {
  // The server listens on a high port, above the client's: port heuristics alone would swap them.
  const full = handshake('10.0.0.1:40000', '10.0.0.2:50000', 1, 2);
  full.data(0, 'x');
  full.close();
  const mid = new Conversation('10.0.0.1:40001', '10.0.0.2:50000', 100, 200, { t0: 1 });
  mid.data(1, 'from the server');
  mid.ack(0);
  const run = await runCapture(merge(full, mid));
  const r = run.conns[1]!;
  assert.equal(r.client, '10.0.0.1:40001');
  assert.equal(r.server, '10.0.0.2:50000');
  assert.equal(r.history, '^dA');
  assert.equal(r.data[1].toString(), 'from the server');
});
