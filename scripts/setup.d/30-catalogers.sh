#!/usr/bin/env bash
# Tools and cached real artefacts for the language/rpm cataloger tests (tests/catalogers).
# Idempotent: installs only what is missing, downloads only what is not cached.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

APT_PACKAGES=(
  rpm             # rpmbuild + rpm --justdb build a real rpmdb.sqlite
  db5.3-util      # db5.3_load builds a real Berkeley DB hash Packages file
  golang-go       # builds a real Go binary with embedded build info
  golang-github-pkg-errors-dev  # a real Go module (v0.9.1) vendored into that binary
  liblog4j2-java  # real log4j-core jars (for the shaded-jar test)
)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

CACHE="${SEAWALL_TEST_CACHE:-$HOME/.cache/seawall-test}/catalogers"
mkdir -p "$CACHE/wheels" "$CACHE/npm"
# Real wheels of known versions.
for spec in "six==1.16.0" "PyYAML==6.0.1" "zope.interface==6.1"; do
  name="${spec%%==*}"; version="${spec##*==}"
  if ! compgen -G "$CACHE/wheels/*-${version}-*.whl" >/dev/null || \
     ! ls "$CACHE/wheels" | grep -qiE "^$(echo "$name" | sed 's/[._-]/[._-]/g')-${version}-"; then
    python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
      --python-version 3.11 --platform manylinux2014_x86_64 -d "$CACHE/wheels" "$spec"
  fi
done
# Real npm tarballs of known versions.
for spec in "lodash@4.17.20" "@babel/helper-string-parser@7.22.5"; do
  base="$(echo "${spec%@*}" | sed 's|^@||; s|/|-|')-${spec##*@}.tgz"
  if [ ! -e "$CACHE/npm/$base" ]; then
    (cd "$CACHE/npm" && npm pack --silent "$spec" >/dev/null)
  fi
done
