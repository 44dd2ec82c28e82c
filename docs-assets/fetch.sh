#!/usr/bin/env bash
# Fetch the docs UIs' browser bundles (the packages in package.json, without their
# dependencies: only prebuilt bundles are served) from the npm registry into node_modules/.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -rf node_modules
node -e 'for (const [n, v] of Object.entries(require("./package.json").dependencies)) console.log(`${n}@${v}`)' |
while read -r spec; do
    name=${spec%@*}
    tarball=$(cd "$tmp" && npm pack --silent "$spec")
    mkdir -p "node_modules/$name"
    tar -xzf "$tmp/$tarball" --strip-components=1 -C "node_modules/$name"
done
touch node_modules/.fetched
