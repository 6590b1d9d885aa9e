#!/bin/sh
# `npm test`: every suite. Sets up like `npm start` (plus the Debian packages the suites drive),
# checks the format (Prettier), type-checks, lints (ESLint, with types), runs the app's component
# tests (jest), then every Node suite in one run of Node's test runner, whose summary closes the
# output. The quick checks come first: a misplaced brace fails in a minute, not after the browsers.
# docs/testing.md says what each suite starts and how to run one.
set -e
cd "$(dirname "$0")/.."
sh scripts/setup.sh
sh scripts/system-deps.sh

npx prettier --check --log-level warn .
# ESLint (with types: about a minute) runs beside the type checks and the component tests, one
# queue per core; its status is taken before the Node suites start.
npx eslint --max-warnings 0 . &
lint=$!
npx tsc -p server/test --noEmit
npx tsc -p packages/client/test --noEmit
npx tsc -p apps/mobile --noEmit
npx tsc -p apps/mobile/test/native --noEmit
npx tsc -p apps/mobile/test/node --noEmit
(cd apps/mobile && npx jest --ci --silent)
wait $lint

suites="packages/client/test/*.test.ts server/test/*.test.ts server/test/e2e/*.test.ts apps/mobile/test/native/*.test.mts apps/mobile/test/node/*.test.mts"
run="node --import tsx --test --test-timeout=300000 $suites"
# Browser calls gather ICE candidates on every interface: inside a network namespace that has
# only loopback, no packet can be addressed to anything else (docs/testing.md).
if unshare -n true 2>/dev/null; then
  exec unshare -n sh -c "ip link set lo up && exec $run"
elif unshare -rn true 2>/dev/null; then
  exec unshare -rn sh -c "ip link set lo up && exec $run"
fi
echo "test: cannot make a loopback-only network namespace here; browser suites run on the host network" >&2
exec $run
