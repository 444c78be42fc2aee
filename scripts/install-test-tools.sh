#!/usr/bin/env bash
# install-test-tools.sh installs from Debian packages what `make test` needs
# besides Go and moto: chromium (the headless browser that drives the
# explorer page) and curl and jq (the README walkthrough, which a test runs
# as written). Idempotent: when all three are there it changes nothing, so
# after the first run it works offline.
set -euo pipefail

missing=()
for tool in chromium:chromium jq:jq curl:curl; do
	command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool##*:}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
	echo "install-test-tools: needs root (or sudo) to apt-get install ${missing[*]}" >&2
	exit 1
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet; only then update them.
if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
	$SUDO apt-get update -qq
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for tool in chromium jq curl; do
	command -v "$tool" >/dev/null || { echo "install-test-tools: $tool still missing" >&2; exit 1; }
done
