#!/usr/bin/env bash
# Installs Schemathesis (PyPI, pinned) into .tools/schemathesis, a virtualenv of its own, for
# the API's property-based contract test (services/api/src/hostile/schemathesis.int.test.ts).
# Idempotent: does nothing when that version is there. Needs python3 with venv (Debian:
# python3-venv, installed from apt when missing and apt-get is available).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${CONVEYOR_SCHEMATHESIS_VERSION:-4.32.5}"
VENV=.tools/schemathesis
if [ -x "$VENV/bin/schemathesis" ] && "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$VERSION"; then
  echo "schemathesis $VERSION already in $VENV"
  exit 0
fi
command -v python3 >/dev/null || { echo "python3 is required for schemathesis" >&2; exit 1; }
mkdir -p .tools
if ! python3 -m venv "$VENV" 2>/dev/null; then
  rm -rf "$VENV"
  command -v apt-get >/dev/null || { echo "python3 -m venv failed and apt-get is not available: install python3-venv" >&2; exit 1; }
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends python3-venv ||
    { apt-get update && apt-get install -y --no-install-recommends python3-venv; }
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
"$VENV/bin/schemathesis" --version
