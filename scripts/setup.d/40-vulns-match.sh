#!/usr/bin/env bash
# Real old packages for the `seawall image` end-to-end tests (tests/vulns/test_image_cli.py):
# wheels and an npm tarball of versions with published advisories, and Debian's log4j jars.
# Idempotent: installs only what is missing, downloads only what is not cached.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
if ! dpkg-query -W -f='${Status}' liblog4j2-java 2>/dev/null | grep -q "install ok installed"; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends liblog4j2-java
fi
python3 -c 'import cyclonedx, jsonschema, packageurl, cvss, yaml' 2>/dev/null \
  || python3 -m pip install -q --disable-pip-version-check cyclonedx-python-lib jsonschema \
       packageurl-python cvss PyYAML
CACHE="${SEAWALL_TEST_CACHE:-$HOME/.cache/seawall-test}/vulns-match"
mkdir -p "$CACHE/wheels" "$CACHE/npm"
for spec in "requests==2.19.1" "urllib3==1.24.1"; do
  name="${spec%%==*}"; version="${spec##*==}"
  if ! compgen -G "$CACHE/wheels/${name}-${version}-*.whl" >/dev/null; then
    python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
      -d "$CACHE/wheels" "$spec"
  fi
done
if [ ! -e "$CACHE/npm/lodash-4.17.20.tgz" ]; then
  (cd "$CACHE/npm" && npm pack --silent "lodash@4.17.20" >/dev/null)
fi
echo "$CACHE"
