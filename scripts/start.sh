#!/bin/sh
# `npm start`: set up, then become the server process (exec), so signals from npm or a
# supervisor reach it directly and SIGTERM drains it.
set -e
cd "$(dirname "$0")/.."
sh scripts/setup.sh
# --max-semi-space-size: a relay allocates fast and briefly (every frame's text); V8's default
# young generation (16 MB halves) let frames in flight survive into the old one, and collecting
# them there cost a fifth of the server's CPU per frame (docs/architecture.md, "Performance").
# --heap-growing-percent: V8 starts marking the old generation once it is within the young
# generation's size of its limit, and sets that limit at about twice what survived the last full
# collection; with 32 MB halves that put a full collection every second or two under load. Five
# times gives the old generation room: about a fifth less CPU per frame, for up to ~60 MB more
# memory under load (none at rest).
# The same flags are in scripts/cluster.mjs, the Dockerfile and the bench (server/bench/proc.ts).
exec node --max-semi-space-size=32 --heap-growing-percent=400 server/dist/main.js
