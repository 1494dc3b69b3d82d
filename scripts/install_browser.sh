#!/usr/bin/env bash
# Chromium for the HTML report's browser tests, from Debian's packages (the tests drive it with
# Playwright's Python client through executable_path; no browser build is ever downloaded).
# Idempotent: does nothing when /usr/bin/chromium is already there. Works as root or with sudo.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
echo "installing Chromium (Debian package chromium)..." >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
test -x "$CHROMIUM"
echo "installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)" >&2
