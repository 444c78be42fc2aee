#!/usr/bin/env bash
# install-chromium.sh installs Debian's chromium, the headless browser the
# explorer page test drives (infra/local/gateway). Idempotent: an installed
# chromium is left alone, so after the first run this works offline.
set -euo pipefail

if command -v chromium >/dev/null 2>&1; then
	exit 0
fi
if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
	echo "install-chromium: needs root (or sudo) to apt-get install chromium" >&2
	exit 1
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet; only then update them.
if ! apt-cache show chromium >/dev/null 2>&1; then
	$SUDO apt-get update -qq
fi
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null
