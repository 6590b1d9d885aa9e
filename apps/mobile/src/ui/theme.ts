/** Colours and spacing shared by every screen. */
export const colors = {
  background: '#0f1115',
  surface: '#1a1d24',
  surfaceRaised: '#252a33',
  border: '#313744',
  text: '#f3f4f6',
  textMuted: '#9aa3b2',
  accent: '#5b8cff',
  accentText: '#ffffff',
  danger: '#ef4d5a',
  warning: '#f5b83d',
  success: '#3ecf8e',
};

export const space = { xs: 4, s: 8, m: 12, l: 16, xl: 24 };
