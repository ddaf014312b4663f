#!/usr/bin/env bash
# Prints the machine code of x86_64.S and aarch64.S as hex, one line per architecture, for
# build/libatomic-compat.ts (test/build/libatomic-compat.test.ts checks the two agree).
# Needs `as` (binutils) and `aarch64-linux-gnu-as` (binutils-aarch64-linux-gnu).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
hexof() { "$1" -o "$tmp/$2.o" "$2.S" && "$3" -O binary -j .text "$tmp/$2.o" "$tmp/$2.bin" && od -An -v -tx1 "$tmp/$2.bin" | tr -d ' \n'; echo; }
printf 'x86_64 '; hexof as x86_64 objcopy
printf 'aarch64 '; hexof aarch64-linux-gnu-as aarch64 aarch64-linux-gnu-objcopy
