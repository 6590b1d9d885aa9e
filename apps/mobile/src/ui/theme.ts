/**
 * Colours and spacing shared by every screen. Every text colour here reads at WCAG AA contrast
 * (4.5:1 or more) on `background`, `surface` and `surfaceRaised`; `accentText` is the text on an
 * `accent`, `danger` or `warning` fill (white on those would fall to about 3:1).
 */
export const colors = {
  background: '#0f1115',
  surface: '#1a1d24',
  surfaceRaised: '#252a33',
  border: '#313744',
  text: '#f3f4f6',
  textMuted: '#9aa3b2',
  accent: '#5b8cff',
  accentText: '#0b1020',
  danger: '#f25f6b',
  warning: '#f5b83d',
  success: '#3ecf8e',
};

export const space = { xs: 4, s: 8, m: 12, l: 16, xl: 24 };
