#!/usr/bin/env bash
# Fetch the Vega, Vega-Lite and vega-embed browser bundles the HTML report embeds, from the npm
# registry (with npm itself), with their licences, into src/inferonomics/report/html/vendor/.
# Run it to change a version; the files it writes are committed, so a build or a test never
# fetches anything. Versions are pinned here and recorded in vendor/VERSIONS.json.
set -euo pipefail
cd "$(dirname "$0")/.."
VEGA=6.4.0
VEGA_LITE=6.4.3
VEGA_EMBED=7.3.0
dest=src/inferonomics/report/html/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "vega@$VEGA" "vega-lite@$VEGA_LITE" "vega-embed@$VEGA_EMBED" >/dev/null)
mkdir -p "$dest"
for spec in "vega:$VEGA:vega.min.js" "vega-lite:$VEGA_LITE:vega-lite.min.js" "vega-embed:$VEGA_EMBED:vega-embed.min.js"; do
  IFS=: read -r name version file <<<"$spec"
  mkdir -p "$work/$name"
  tar xzf "$work/$name-$version.tgz" -C "$work/$name"
  # The source-map comment names a file the page does not carry; drop it.
  grep -v '^//# sourceMappingURL=' "$work/$name/package/build/$file" >"$dest/$file"
  cp "$work/$name/package/LICENSE" "$dest/LICENSE-$name"
done
cat >"$dest/VERSIONS.json" <<JSON
{
  "vega": {"version": "$VEGA", "license": "BSD-3-Clause", "file": "vega.min.js"},
  "vega-lite": {"version": "$VEGA_LITE", "license": "BSD-3-Clause", "file": "vega-lite.min.js"},
  "vega-embed": {"version": "$VEGA_EMBED", "license": "BSD-3-Clause", "file": "vega-embed.min.js",
                 "bundles": "vega-tooltip, vega-themes, vega-schema-url-parser, vega-interpreter (BSD-3-Clause); fast-json-patch, json-stringify-pretty-compact (MIT); semver (ISC); tslib (0BSD)"}
}
JSON
echo "wrote $dest: vega $VEGA, vega-lite $VEGA_LITE, vega-embed $VEGA_EMBED"
