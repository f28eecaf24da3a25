#!/usr/bin/env bash
# Prepare a wine prefix so that Windows Qt (PySide6's Qt6Core.dll) loads there.
#
#   bash installer/wine/prepare_prefix.sh PREFIX
#
# Idempotent: a prefix that exists is kept (wineboot runs only for a new one) and the
# ICU stand-in is rebuilt from source and replaced only when it differs.
#
# What it does: a 64-bit prefix (wineboot --init, no Mono/Gecko prompts), then builds
# installer/wine/icu_stub.c with Debian's x86_64-w64-mingw32-gcc (package
# gcc-mingw-w64-x86-64-win32) into PREFIX/drive_c/windows/system32/icuuc.dll.
# That DLL is a TEST-ONLY stand-in for the icuuc.dll every Windows 10/11 has and wine 8
# lacks: each function fails, so Qt falls back to its built-in codecs. It is never
# shipped: the bundle and the installer are built from dist/windows/capdesk only.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 PREFIX" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
prefix=$(cd "$1" && pwd)
for tool in wine wineboot wineserver x86_64-w64-mingw32-gcc; do
  command -v "$tool" >/dev/null || {
    echo "prepare_prefix: $tool is not installed (apt-get install wine wine64 gcc-mingw-w64-x86-64-win32)" >&2
    exit 1
  }
done
export WINEPREFIX="$prefix" WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="

if [ ! -f "$prefix/system.reg" ] || [ ! -d "$prefix/drive_c/windows/system32" ]; then
  echo "prepare_prefix: creating a 64-bit wine prefix in $prefix"
  wineboot --init >/dev/null 2>&1
fi
wineserver -w

system32="$prefix/drive_c/windows/system32"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
x86_64-w64-mingw32-gcc -shared -O2 -s -Wall -Werror -Wl,--no-insert-timestamp,--disable-auto-image-base -o "$tmp/icuuc.dll" \
  "$here/icu_stub.c" "$here/icu_stub.def"
if ! cmp -s "$tmp/icuuc.dll" "$system32/icuuc.dll" 2>/dev/null; then
  cp "$tmp/icuuc.dll" "$system32/icuuc.dll"
  echo "prepare_prefix: placed the test-only ICU stand-in at $system32/icuuc.dll"
fi
echo "prepare_prefix: $prefix is ready"
