import { RESET_TOKEN_TTL_MS, VERIFY_CODE_TTL_MS } from '@small-talk/protocol';
import type { Mail } from './mailer.js';

/**
 * The two mails the service sends. Each says who sent it (the service at its address) and why
 * (what was asked, and that ignoring it is safe when the reader did not ask), in plain text and
 * in HTML, with links built from PUBLIC_URL.
 */

const SERVICE = 'Small Talk';
const minutes = (ms: number) => Math.round(ms / 60_000);

export function verificationMail(to: string, code: string, publicUrl: string): Mail {
  const valid = minutes(VERIFY_CODE_TTL_MS);
  const text = [
    `Your ${SERVICE} verification code is: ${code}`,
    '',
    `Someone, we hope you, created an account at ${publicUrl} with this e-mail address, or asked for a new code.`,
    `Enter the code in the app within ${valid} minutes to confirm that this address is yours.`,
    '',
    'If it was not you, ignore this mail: without the code nothing happens.',
    '',
    `-- ${SERVICE}, ${publicUrl}`,
  ].join('\n');
  const html = page([
    `<p>Your ${SERVICE} verification code is:</p>`,
    `<p style="font-size:28px;font-weight:bold;letter-spacing:4px">${escape(code)}</p>`,
    `<p>Someone, we hope you, created an account at <a href="${escape(publicUrl)}">${escape(publicUrl)}</a> with this e-mail address, or asked for a new code. Enter the code in the app within ${valid} minutes to confirm that this address is yours.</p>`,
    '<p>If it was not you, ignore this mail: without the code nothing happens.</p>',
    `<p>&mdash; ${SERVICE}, ${escape(publicUrl)}</p>`,
  ]);
  return { purpose: 'verify', to, subject: `Your ${SERVICE} verification code`, text, html };
}

/** The link the web app opens at /reset (`reset-password-input`). */
export function resetLink(publicUrl: string, token: string): string {
  return `${publicUrl}/reset?token=${encodeURIComponent(token)}`;
}

export function resetMail(to: string, token: string, publicUrl: string): Mail {
  const link = resetLink(publicUrl, token);
  const valid = minutes(RESET_TOKEN_TTL_MS);
  const text = [
    `Someone asked to reset the password of the ${SERVICE} account with this e-mail address, at ${publicUrl}.`,
    '',
    `To choose a new password, open this link within ${valid} minutes (it works once):`,
    link,
    '',
    'Every device signed in to the account is signed out when the password changes.',
    'If you did not ask, ignore this mail: your password stays as it is.',
    '',
    `-- ${SERVICE}, ${publicUrl}`,
  ].join('\n');
  const html = page([
    `<p>Someone asked to reset the password of the ${SERVICE} account with this e-mail address, at <a href="${escape(publicUrl)}">${escape(publicUrl)}</a>.</p>`,
    `<p><a href="${escape(link)}">Choose a new password</a> within ${valid} minutes (the link works once).</p>`,
    `<p>If the button does not work, copy this address into your browser:<br>${escape(link)}</p>`,
    '<p>Every device signed in to the account is signed out when the password changes. If you did not ask, ignore this mail: your password stays as it is.</p>',
    `<p>&mdash; ${SERVICE}, ${escape(publicUrl)}</p>`,
  ]);
  return { purpose: 'reset', to, subject: `Reset your ${SERVICE} password`, text, html };
}

function page(paragraphs: string[]): string {
  return `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">${paragraphs.join('')}</body></html>`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
