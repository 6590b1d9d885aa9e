import { z } from 'zod';

// The server's Content Security Policy forbids eval. zod probes for it (`new Function`) when it
// builds a schema, and the browser reports that probe as a violation even though zod catches
// it. Without JIT, schemas parse a little slower, which the app's few messages never notice.
// index.ts imports this module first: the setting must be in place before any schema is built.
z.config({ jitless: true });
