#!/usr/bin/env bash
# Debian packages the tests use: espeak-ng synthesizes speech with known text, Chromium runs the
# browser tests (driven by Playwright, which never downloads a browser of its own here), and
# Tesseract reads slide text, and DejaVu is the font of the captions burned into clips; npm fetches
# axe-core for the accessibility checks (`make browser-deps`), where no Node.js is installed yet;
# libatomic1 is what the Node.js inside Playwright's driver links to (a bare Debian lacks it); curl
# runs the README's API examples as written (tests/api/test_openai_clients.py).
# Installs only what is missing, and only where apt-get can be used (root or password-less sudo).
set -euo pipefail

# package and how to tell it is there (a command on the PATH, or a file)
packages=(espeak-ng chromium tesseract-ocr fonts-dejavu-core npm libatomic1 curl)
checks=(espeak-ng chromium tesseract /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf npm lib:libatomic.so.1 curl)

missing=()
for i in "${!packages[@]}"; do
  check="${checks[$i]}"
  if [[ "$check" == lib:* ]]; then
    /sbin/ldconfig -p 2>/dev/null | grep -qF "${check#lib:} " || missing+=("${packages[$i]}")
  elif [[ "$check" == /* ]]; then
    [ -e "$check" ] || missing+=("${packages[$i]}")
  else
    command -v "$check" >/dev/null 2>&1 || missing+=("${packages[$i]}")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

# In CI a missing package is a failure, not a reason to skip tests.
fail() {
  echo "$1" >&2
  [ "${CI:-}" = "true" ] && exit 1
  exit 0
}
if ! command -v apt-get >/dev/null 2>&1; then
  fail "warning: apt-get not found; please install: ${missing[*]}"
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  fail "warning: need root to install ${missing[*]}; tests that need them will fail"
fi
echo "Installing ${missing[*]} with apt-get"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
