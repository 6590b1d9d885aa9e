/**
 * Which of our ICE candidates may go to the peer. A candidate names an address of this device:
 * sent to a stranger, it is how people get located. The room's ICE policy decides (see
 * `matched.iceTransportPolicy` in docs/protocol.md):
 * - `relay`: only TURN relay candidates, whose address is the TURN server's. The peer
 *   connection gathers nothing else under this policy; this is the second lock, for an
 *   implementation that gathers more than it was told to.
 * - `all` with `dropRawHostCandidates` (react-native-webrtc, which has no mDNS): host
 *   candidates that carry a raw IP address stay here; `.local` (mDNS) names, server-reflexive
 *   and relay candidates go. Browsers already hide host addresses behind mDNS names.
 * Whenever a filter applies, the related address (`raddr`, the local address a reflexive or
 * relay candidate came from) is blanked as browsers do under mDNS: it is informational only.
 */

import type { IceTransportPolicy } from '@small-talk/protocol';

export interface CandidatePrivacy {
  policy: IceTransportPolicy;
  dropRawHostCandidates: boolean;
}

/** Whether a filter applies at all: `all` in a browser sends what the browser gathered. */
function filtering(privacy: CandidatePrivacy): boolean {
  return privacy.policy === 'relay' || privacy.dropRawHostCandidates;
}

/** The fields of `candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> …` (RFC 8839 §5.1). */
function fields(line: string): string[] {
  return line.replace(/^a=/, '').trim().split(/\s+/);
}

function typeOf(parts: string[]): string | undefined {
  const at = parts.indexOf('typ');
  return at === -1 ? undefined : parts[at + 1];
}

function mayShare(parts: string[], privacy: CandidatePrivacy): boolean {
  const type = typeOf(parts);
  if (privacy.policy === 'relay') return type === 'relay';
  if (privacy.dropRawHostCandidates && type === 'host') return (parts[4] ?? '').toLowerCase().endsWith('.local');
  return true;
}

function withoutRelatedAddress(parts: string[]): string {
  const out = [...parts];
  const raddr = out.indexOf('raddr');
  if (raddr !== -1 && raddr + 1 < out.length) out[raddr + 1] = '0.0.0.0';
  const rport = out.indexOf('rport');
  if (rport !== -1 && rport + 1 < out.length) out[rport + 1] = '0';
  return out.join(' ');
}

/** The candidate line as it may be sent to the peer, or null when it must stay here. */
export function shareableCandidate(line: string, privacy: CandidatePrivacy): string | null {
  if (!filtering(privacy)) return line;
  const parts = fields(line);
  if (!mayShare(parts, privacy)) return null;
  return withoutRelatedAddress(parts);
}

/**
 * A local description as it may be sent: the same filter over its `a=candidate` lines (a
 * description read after gathering began carries the candidates so far), and a connection
 * line (`c=`, `a=rtcp`) that names a withheld address set to the unspecified one, as before
 * gathering.
 */
export function shareableSdp(sdp: string, privacy: CandidatePrivacy): string {
  if (!filtering(privacy) || !sdp.includes('a=candidate:')) return sdp;
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const withheld = new Set<string>();
  const lines: string[] = [];
  for (const line of sdp.split(eol)) {
    if (!line.startsWith('a=candidate:')) {
      lines.push(line);
      continue;
    }
    const parts = fields(line);
    if (mayShare(parts, privacy)) {
      lines.push(`a=${withoutRelatedAddress(parts)}`);
    } else {
      if (parts[4]) withheld.add(parts[4].toLowerCase());
      const raddr = parts.indexOf('raddr');
      if (raddr !== -1 && parts[raddr + 1]) withheld.add(parts[raddr + 1]!.toLowerCase());
    }
  }
  return lines.map((line) => unnamed(line, withheld)).join(eol);
}

/** `c=IN IP4 <address>` or `a=rtcp:<port> IN IP4 <address>` with a withheld address: the unspecified address instead. */
function unnamed(line: string, withheld: Set<string>): string {
  const match = /^(c=IN |a=rtcp:\d+ IN )(IP4|IP6) (\S+)$/.exec(line);
  if (!match || !withheld.has(match[3]!.toLowerCase())) return line;
  return `${match[1]}${match[2]} ${match[2] === 'IP4' ? '0.0.0.0' : '::'}`;
}
