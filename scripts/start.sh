#!/bin/sh
# `npm start`: set up, then become the server process (exec), so signals from npm or a
# supervisor reach it directly and SIGTERM drains it.
set -e
cd "$(dirname "$0")/.."
sh scripts/setup.sh
# --max-semi-space-size: a relay allocates fast and briefly (every frame's text); V8's default
# young generation (16 MB halves) let frames in flight survive into the old one, and collecting
# them there cost a fifth of the server's CPU per frame (docs/architecture.md, "Performance").
# The same flag is in scripts/cluster.mjs, the Dockerfile and the bench (server/bench/proc.ts).
exec node --max-semi-space-size=32 server/dist/main.js
