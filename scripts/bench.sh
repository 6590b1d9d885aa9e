#!/bin/sh
# `npm run bench`: set up and build like `npm start`, then race the server against a bare relay
# and time real calls in headless Chromium (server/bench/run.ts). Arguments go to the bench:
# `npm run bench -- --only server`, `npm run bench -- --only call --calls 5`.
set -e
cd "$(dirname "$0")/.."
sh scripts/setup.sh
# Redis, PostgreSQL, coturn and Chromium, as `npm test` installs them: without them the cluster,
# chaos, soak and call phases are skipped.
sh scripts/system-deps.sh

# The browser calls gather ICE candidates on every interface: inside a network namespace that
# has only loopback, no packet can be addressed to anything else (docs/testing.md).
# Everything is installed and built above: there is no network inside.
inside='ip link set lo up && exec node --import tsx server/bench/run.ts "$@"'
if unshare -n true 2>/dev/null; then
  exec unshare -n sh -c "$inside" bench "$@"
elif unshare -rn true 2>/dev/null; then
  exec unshare -rn sh -c "$inside" bench "$@"
fi
echo "bench: cannot make a loopback-only network namespace here; browser calls run on the host network" >&2
exec node --import tsx server/bench/run.ts "$@"
