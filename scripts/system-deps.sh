#!/bin/sh
# Debian packages the test suites drive for real: Chromium (browser end-to-end calls),
# redis-server, PostgreSQL and coturn (scale-out and TURN suites). Installed when missing and
# running as root; otherwise the missing ones are named, and the suites that need them say so.
set -e
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
command -v turnserver >/dev/null 2>&1 || missing="$missing coturn"
{ command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || missing="$missing postgresql"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing$missing (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # Services are started by the tests themselves, never by the packages' init scripts.
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    policy=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy"
  fi
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
  [ -z "$policy" ] || rm -f "$policy"
else
  echo "setup: missing$missing: install them (Debian: sudo apt-get install$missing) to run every suite" >&2
fi
