#!/usr/bin/env bash
# install-moto.sh [DEST] installs the local AWS emulator (moto 5.1.1) into DEST
# (default .cache/moto) and writes DEST/moto_server, a wrapper that runs it.
#
# moto is not packaged for Debian 12, but Debian 13's python3-moto is pure
# Python and runs on Debian 12's python3. Its dependencies come from the
# machine's own Debian release; moto itself (plus two small modules Debian 12
# lacks) is downloaded from Debian 13 with a private apt state and unpacked
# into DEST, so the system's apt sources and dpkg database are never changed.
# The Debian mirror is read from the machine's apt configuration.
#
# Idempotent: a complete install is detected and left alone.
set -euo pipefail

DEST=${1:-.cache/moto}
MOTO_VERSION=5.1.1-4
STAMP="$DEST/.installed-$MOTO_VERSION"

HERE=$(cd "$(dirname "$0")" && pwd)

write_wrapper() {
	local site
	site="$(cd "$DEST" && pwd)/root/usr/lib/python3/dist-packages"
	cp "$HERE/moto_server.py" "$DEST/moto_server.py"
	# exec keeps the recorded PID that of the server itself, so killing it stops moto.
	cat >"$DEST/moto_server" <<EOS
#!/bin/sh
PYTHONPATH="$site" exec /usr/bin/python3 "$(cd "$DEST" && pwd)/moto_server.py" "\$@"
EOS
	chmod +x "$DEST/moto_server"
}

if [ -f "$STAMP" ] && [ -x "$DEST/moto_server" ] && /usr/bin/python3 -c 'import flask, boto3, ply' 2>/dev/null; then
	# The launcher may have changed since the install: refresh it (cheap).
	cmp -s "$HERE/moto_server.py" "$DEST/moto_server.py" || write_wrapper
	exit 0
fi

if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
	echo "install-moto: needs root (or sudo) to apt-get install python3 packages" >&2
	exit 1
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

mirror() {
	local uri=""
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then
		uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
	fi
	if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
		uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' /etc/apt/sources.list)
	fi
	if [ -z "$uri" ]; then
		echo "install-moto: cannot find a Debian mirror in the apt configuration" >&2
		return 1
	fi
	# The security archive holds no moto; use the main archive beside it.
	echo "${uri%-security}"
}

DEPS=(python3 python3-boto3 python3-botocore python3-cryptography python3-dateutil
	python3-flask python3-flask-cors python3-jinja2 python3-requests python3-responses
	python3-werkzeug python3-xmltodict python3-yaml python3-ply python3-antlr4)

export DEBIAN_FRONTEND=noninteractive
echo "install-moto: installing Python dependencies from Debian" >&2
if ! $SUDO apt-get install -y --no-install-recommends "${DEPS[@]}" >/dev/null 2>&1; then
	$SUDO apt-get update >/dev/null
	$SUDO apt-get install -y --no-install-recommends "${DEPS[@]}" >/dev/null
fi

MIRROR=$(mirror)
APT=$(mktemp -d)
trap 'rm -rf "$APT"' EXIT
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$DEST"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR trixie main" >"$APT/sources.list"
O=(-o Dir::Etc::SourceList="$APT/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache"
	-o APT::Sandbox::User=root)
echo "install-moto: downloading moto $MOTO_VERSION" >&2
apt-get "${O[@]}" update >/dev/null
(cd "$APT" && apt-get "${O[@]}" download "python3-moto=$MOTO_VERSION" python3-jsonpath-ng python3-joserfc >/dev/null 2>&1)

rm -rf "$DEST/root"
for deb in "$APT"/*.deb; do
	dpkg-deb -x "$deb" "$DEST/root"
done

write_wrapper
SITE="$(cd "$DEST" && pwd)/root/usr/lib/python3/dist-packages"
PYTHONPATH="$SITE" /usr/bin/python3 -c 'import moto, jsonpath_ng, ply; print("install-moto: moto", moto.__version__, "ready")' >&2
touch "$STAMP"
