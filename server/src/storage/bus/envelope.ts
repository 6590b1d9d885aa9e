import type { Delivery } from './bus.js';
import type { Sequenced } from './order.js';

/**
 * How a frame travels between processes and sits in a held list (redis.ts): the delivery as one
 * line of header fields and the frame (the item), sealed with its place in its sender's stream.
 */

/** A frame as it travels between processes and sits in the held list: its place in its sender's stream, and the item. */
export interface Envelope extends Sequenced {
  item: string;
  delivery: Delivery;
}

/**
 * A delivery as it travels: the room field (empty: unchanged, `-`: none, else `roomId peerId`);
 * when the socket is to close after the frame, the frame is a state or is only for one room, a
 * tab and the close (the code, a space and the reason, or nothing), then for a state or a room a
 * tab and the state's key (or nothing), then for a room a tab and its id; a newline; the frame.
 */
export function encodeItem(delivery: Delivery): string {
  let header =
    delivery.room === undefined ? '' : delivery.room === null ? '-' : `${delivery.room.roomId} ${delivery.room.peerId}`;
  if (delivery.close || delivery.stateKey !== undefined || delivery.onlyInRoom !== undefined) {
    header += `\t${delivery.close ? `${delivery.close.code} ${oneLine(delivery.close.reason)}` : ''}`;
    if (delivery.stateKey !== undefined || delivery.onlyInRoom !== undefined)
      header += `\t${oneLine(delivery.stateKey ?? '')}`;
    if (delivery.onlyInRoom !== undefined) header += `\t${oneLine(delivery.onlyInRoom)}`;
  }
  return `${header}\n${delivery.text}`;
}

/** The header is one line of tab-separated fields: none of them carries a tab or newline into it. */
function oneLine(field: string): string {
  return field.replace(/[\t\r\n]/g, ' ');
}

export function decodeItem(item: string): Delivery {
  const newline = item.indexOf('\n');
  const header = item.slice(0, newline);
  const text = item.slice(newline + 1);
  const tab = header.indexOf('\t');
  const room = tab === -1 ? header : header.slice(0, tab);
  const delivery: Delivery = { text };
  if (tab !== -1) {
    const [close, stateKey, onlyInRoom] = header.slice(tab + 1).split('\t');
    if (close) {
      const space = close.indexOf(' ');
      delivery.close = { code: Number(close.slice(0, space)), reason: close.slice(space + 1) };
    }
    // Empty when only `onlyInRoom` follows it: a state key is never empty (`presence:<id>`).
    if (stateKey) delivery.stateKey = stateKey;
    if (onlyInRoom !== undefined) delivery.onlyInRoom = onlyInRoom;
  }
  if (room === '-') delivery.room = null;
  else if (room !== '') {
    const space = room.indexOf(' ');
    delivery.room = { roomId: room.slice(0, space), peerId: room.slice(space + 1) };
  }
  return delivery;
}

/** An envelope as it travels and is held: `#sender seq prev`, a newline, the item. */
export function sealEnvelope(frame: Envelope): string {
  return `#${frame.sender} ${frame.seq} ${frame.prev}\n${frame.item}`;
}

/** `#` starts no item (see encodeItem): an item held by an older version, mid-upgrade, is read as one outside any stream. */
export function openEnvelope(text: string): Envelope {
  if (text[0] !== '#') return outsideStreams(text);
  const newline = text.indexOf('\n');
  const seqAt = text.indexOf(' ') + 1;
  const prevAt = text.indexOf(' ', seqAt) + 1;
  const item = text.slice(newline + 1);
  return {
    sender: text.slice(1, seqAt - 1),
    seq: Number(text.slice(seqAt, prevAt - 1)),
    prev: Number(text.slice(prevAt, newline)),
    item,
    delivery: decodeItem(item),
  };
}

/** A frame from a process that does not number its frames (an older version, mid-upgrade): it passes as it comes. */
export function outsideStreams(item: string): Envelope {
  return { sender: '', seq: 0, prev: 0, item, delivery: decodeItem(item) };
}

/**
 * The held frames with each sender's in its order: the owner and a sender's script can append to
 * the list at once, so one sender's frames may sit out of order. Each keeps the places its
 * sender's frames had; frames of different senders keep theirs.
 */
export function inSenderOrder(frames: Envelope[]): Envelope[] {
  const bySender = new Map<string, Envelope[]>();
  for (const frame of frames) {
    if (frame.sender === '') continue;
    let own = bySender.get(frame.sender);
    if (!own) bySender.set(frame.sender, (own = []));
    own.push(frame);
  }
  for (const own of bySender.values()) own.sort((a, b) => a.seq - b.seq);
  const next = new Map<string, number>();
  return frames.map((frame) => {
    if (frame.sender === '') return frame;
    const i = next.get(frame.sender) ?? 0;
    next.set(frame.sender, i + 1);
    return bySender.get(frame.sender)![i]!;
  });
}
