import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shareableCandidate, shareableSdp } from '../src/call/candidates.js';

const RELAY = { policy: 'relay', dropRawHostCandidates: false } as const;
const NATIVE = { policy: 'all', dropRawHostCandidates: true } as const;
const BROWSER = { policy: 'all', dropRawHostCandidates: false } as const;

// As Chrome writes them (the relay one as a build without candidate sanitising would).
const host = 'candidate:1 1 udp 2122260223 192.168.1.20 54400 typ host generation 0 ufrag abcd network-id 1';
const hostV6 = 'candidate:2 1 udp 2122262783 2001:db8::20 54401 typ host generation 0 ufrag abcd network-id 2';
const mdns =
  'candidate:3 1 udp 2122260223 4c1d9f2e-5b3a-4f0e-9d61-0a7c2b8e1f33.local 54402 typ host generation 0 ufrag abcd';
const tcpHost = 'candidate:4 1 tcp 1518280447 10.0.0.5 9 typ host tcptype active generation 0 ufrag abcd';
const srflx =
  'candidate:5 1 udp 1686052607 198.51.100.7 54400 typ srflx raddr 192.168.1.20 rport 54400 generation 0 ufrag abcd';
const relay =
  'candidate:6 1 udp 41885439 203.0.113.9 61000 typ relay raddr 198.51.100.7 rport 54400 generation 0 ufrag abcd';

test('relay: only relay candidates, with the related address blanked', () => {
  for (const line of [host, hostV6, mdns, tcpHost, srflx]) assert.equal(shareableCandidate(line, RELAY), null, line);
  assert.equal(
    shareableCandidate(relay, RELAY),
    'candidate:6 1 udp 41885439 203.0.113.9 61000 typ relay raddr 0.0.0.0 rport 0 generation 0 ufrag abcd',
  );
  // A line that says no type is not known to be relay.
  assert.equal(shareableCandidate('candidate:7 1 udp 1 203.0.113.9 61000', RELAY), null);
});

test('all on native: raw host addresses (IPv4, IPv6, TCP) withheld; mDNS names, reflexive and relay candidates go', () => {
  for (const line of [host, hostV6, tcpHost]) assert.equal(shareableCandidate(line, NATIVE), null, line);
  assert.equal(shareableCandidate(mdns, NATIVE), mdns);
  assert.equal(
    shareableCandidate(srflx, NATIVE),
    'candidate:5 1 udp 1686052607 198.51.100.7 54400 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag abcd',
  );
  assert.match(shareableCandidate(relay, NATIVE)!, / typ relay raddr 0\.0\.0\.0 rport 0 /);
});

test('all in a browser: every candidate unchanged', () => {
  for (const line of [host, hostV6, mdns, tcpHost, srflx, relay]) assert.equal(shareableCandidate(line, BROWSER), line);
});

const sdp = [
  'v=0',
  'o=- 1 2 IN IP4 127.0.0.1',
  's=-',
  'm=audio 54400 UDP/TLS/RTP/SAVPF 111',
  'c=IN IP4 192.168.1.20',
  'a=rtcp:9 IN IP4 0.0.0.0',
  `a=${host}`,
  `a=${srflx}`,
  `a=${relay}`,
  'm=video 61000 UDP/TLS/RTP/SAVPF 96',
  'c=IN IP4 203.0.113.9',
  `a=${relay}`,
  '',
].join('\r\n');

test('a description read after gathering began: withheld candidates and the connection lines naming them go too', () => {
  const out = shareableSdp(sdp, RELAY);
  assert.ok(!/192\.168|198\.51\.100\.7 54400 typ/.test(out), out);
  assert.ok(out.includes('c=IN IP4 0.0.0.0\r\n'), out);
  assert.ok(out.includes('c=IN IP4 203.0.113.9\r\n'), "the relay address is the TURN server's");
  assert.equal(out.split('\r\n').filter((line) => line.startsWith('a=candidate:')).length, 2);
  assert.ok(!out.includes('198.51.100.7 rport'), 'related addresses blanked');
  assert.ok(out.endsWith('\r\n'));
  assert.equal(shareableSdp(sdp, BROWSER), sdp);
  const native = shareableSdp(sdp, NATIVE);
  assert.ok(!native.includes('192.168.1.20'), native);
  assert.equal(native.split('\r\n').filter((line) => line.startsWith('a=candidate:')).length, 3);
});
