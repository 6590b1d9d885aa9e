#!/bin/sh
# Brings a checkout to runnable: npm packages when missing or older than the lock file, then an
# incremental build. Both `npm start` and `npm test` call it, so a fresh clone needs nothing else.
set -e
cd "$(dirname "$0")/.."
mkdir -p .tmp

# Two `npm start`s in one checkout (different PORTs) must not install or build over each other.
if command -v flock >/dev/null 2>&1; then
  exec 9>.tmp/setup.lock
  flock 9
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (first run takes a minute or two: better-sqlite3 compiles)"
  npm ci --no-audit --no-fund --loglevel=error
fi

npx tsc -b packages/protocol packages/client server

# The app's web build, which the server serves at /: rebuilt when any of its sources is newer.
web=apps/mobile/dist/index.html
if [ ! -f "$web" ] || [ -n "$(find apps/mobile packages/client/src packages/protocol/src \
    \( -name node_modules -o -name dist -o -name android -o -name ios \) -prune -o -type f -newer "$web" -print 2>/dev/null | head -n 1)" ]; then
  echo "setup: building the web app (apps/mobile → apps/mobile/dist)"
  # The shield's model and wasm files go into public/shield/, which the export copies into dist/
  # (from the npm packages: nothing is downloaded, now or when the app runs).
  # Then the manifest, icons and service worker that make it an installable app (scripts/pwa-assets.mjs).
  (cd apps/mobile && node scripts/shield-assets.mjs && CI=1 npx expo export --platform web --output-dir dist >/dev/null && node scripts/pwa-assets.mjs dist)
fi
