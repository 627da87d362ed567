#!/usr/bin/env bash
# Installs the Debian packages gosan builds and tests with, if any is
# missing: a C compiler and CMake are assumed; libunwind, elfutils' libdw,
# Check, json-c and pkg-config come from Debian, and the tests check the
# JUnit and SARIF outputs with real consumers: xmllint (libxml2-utils),
# junitparser and jsonschema (Python). Needs root (or sudo) only when
# something is actually missing.
set -euo pipefail

packages=(libunwind-dev libdw-dev check libjson-c-dev pkg-config
          libxml2-utils python3 python3-junitparser python3-jsonschema)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "gosan: installing ${missing[*]}" >&2
if [[ $(id -u) -eq 0 ]]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
elif command -v sudo >/dev/null; then
  sudo apt-get update -qq
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "gosan: missing packages ${missing[*]}; install them as root:" >&2
  echo "  apt-get install -y ${missing[*]}" >&2
  exit 1
fi
