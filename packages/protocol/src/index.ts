export * from './common.js';
export * from './errors.js';
export * from './friends.js';
export * from './http.js';
export * from './languages.js';
export * from './accounts.js';
export * from './moderation.js';
export * from './ws.js';
