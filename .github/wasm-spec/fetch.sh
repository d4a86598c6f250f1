#!/usr/bin/env bash
# Lays out the WebAssembly spec suites the tests read (KOS_WASM_SPEC, KOS_WASM_SPEC_2)
# from a full-history checkout of WebAssembly/testsuite: the files named in
# 1.0.txt / 2.0.txt, each at its pinned commit (the same sets as ../shared/wasm-spec*).
# usage: fetch.sh TESTSUITE_CHECKOUT DEST  ->  DEST/wasm-spec, DEST/wasm-spec-2.0
set -euo pipefail
src=$1
dest=$2
here=$(cd "$(dirname "$0")" && pwd)
lay_out() { # manifest commit dir
  mkdir -p "$3"
  local n=0
  while read -r f; do
    case "$f" in ''|'#'*) continue ;; esac
    git -C "$src" show "$2:$f" > "$3/$f"
    n=$((n + 1))
  done < "$1"
  git -C "$src" show "$2:LICENSE" > "$3/LICENSE" 2>/dev/null || true
  echo "$3: $n .wast files from WebAssembly/testsuite at $2"
}
lay_out "$here/1.0.txt" c70c3c8 "$dest/wasm-spec"
lay_out "$here/2.0.txt" 3a04b2c "$dest/wasm-spec-2.0"
