#!/usr/bin/env bash
# Debian packages Lotse needs at run and test time; installs only what is missing (needs root or sudo).
set -euo pipefail
PACKAGES=("$@")
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "missing Debian packages: ${missing[*]} (install them as root)" >&2; exit 1; }
  SUDO=(sudo)
fi
echo "installing Debian packages: ${missing[*]}" >&2
"${SUDO[@]}" apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
