#!/usr/bin/env bash
# Builds (once) a real Debian bookworm minbase root filesystem for the image tests and the
# image_scan benchmark, cached under ~/.cache/seawall-test/. Also installs python-isal and
# zstandard (layer decompression). Idempotent: a finished rootfs is marked with .done.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
if ! command -v debootstrap >/dev/null; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends debootstrap
fi
python3 -c 'import isal, zstandard, cyclonedx, jsonschema, packageurl, platformdirs' 2>/dev/null \
  || python3 -m pip install -q --disable-pip-version-check isal zstandard cyclonedx-python-lib \
       jsonschema packageurl-python platformdirs
CACHE="${SEAWALL_TEST_CACHE:-$HOME/.cache/seawall-test}"
ROOT="$CACHE/bookworm-minbase"
mkdir -p "$CACHE"
if [ ! -e "$ROOT/.done" ]; then
  rm -rf "$ROOT"
  $SUDO debootstrap --variant=minbase bookworm "$ROOT" http://deb.debian.org/debian >&2
  touch "$ROOT/.done"
fi
# Real Python wheel and npm tarball of known versions for the application layer.
APP="$CACHE/images-app"
mkdir -p "$APP"
if ! compgen -G "$APP/six-1.16.0-*.whl" >/dev/null; then
  python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
    -d "$APP" "six==1.16.0" >&2
fi
if [ ! -e "$APP/lodash-4.17.20.tgz" ]; then
  (cd "$APP" && npm pack --silent "lodash@4.17.20" >/dev/null)
fi
echo "$ROOT"
