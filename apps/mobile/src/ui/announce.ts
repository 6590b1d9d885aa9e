/**
 * Tells screen readers what happened when nothing on screen takes the focus (a call connecting,
 * the peer leaving, a chat message arriving): web. react-native-web's
 * AccessibilityInfo.announceForAccessibility does nothing, so the words go into a polite live
 * region of our own, outside React's tree, made once and kept for the page's life: a region
 * must already be in the page when its text changes, or screen readers say nothing.
 */
import { useEffect } from 'react';

/** How long an announcement stays in the region: long enough to be read, short enough not to pile up. */
const KEEP_MS = 10_000;

/** How long a newly made region waits before its first line (assistive technology notices it first). */
const FRESH_REGION_DELAY_MS = 250;

let region: HTMLElement | null = null;

function liveRegion(): HTMLElement | null {
  if (region?.isConnected) return region;
  if (typeof document === 'undefined' || !document.body) return null;
  region = document.createElement('div');
  region.setAttribute('role', 'status');
  region.setAttribute('aria-live', 'polite');
  // Each announcement is its own line: the ones already there are not read again.
  region.setAttribute('aria-relevant', 'additions');
  // Heard, not seen: off screen but in the accessibility tree (display: none would hide it from both).
  Object.assign(region.style, {
    position: 'absolute',
    width: '1px',
    height: '1px',
    margin: '-1px',
    padding: '0',
    border: '0',
    overflow: 'hidden',
    clip: 'rect(0 0 0 0)',
    whiteSpace: 'nowrap',
  });
  document.body.appendChild(region);
  return region;
}

// Made as the app starts, so it is in the page well before the first announcement.
liveRegion();

/** Says `text` to a screen reader, after what it is saying now. */
export function announce(text: string): void {
  if (text.trim() === '') return;
  const fresh = !region?.isConnected;
  const live = liveRegion();
  if (!live) return;
  const add = () => {
    const line = document.createElement('div');
    line.textContent = text;
    live.appendChild(line);
    setTimeout(() => line.remove(), KEEP_MS);
  };
  // A region made just now is not watched yet: a moment's wait, or its first line goes unheard.
  if (fresh) setTimeout(add, FRESH_REGION_DELAY_MS);
  else add();
}

/** Announces `text` each time it changes to a new one; null says nothing. */
export function useAnnouncement(text: string | null): void {
  useEffect(() => {
    if (text) announce(text);
  }, [text]);
}
