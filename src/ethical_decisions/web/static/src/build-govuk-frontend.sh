#!/usr/bin/env bash
# Rebuild the GOV.UK Frontend files under ../govuk from the npm packages pinned in package.json,
# and the axe-core copy the browser tests use. Run it after changing a version; commit what it writes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
cp "$here/package.json" "$here/govuk-frontend.scss" "$build/"
(cd "$build" && npm install --silent --no-audit --no-fund)
(cd "$build" && npx sass --pkg-importer=node --style=compressed --no-source-map govuk-frontend.scss out.css)
govuk="$here/../govuk"
cp "$build/out.css" "$govuk/govuk-frontend.min.css"
sed 's#//\# sourceMappingURL=govuk-frontend.min.js.map##' \
  "$build/node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js" >"$govuk/govuk-frontend.min.js"
for image in favicon.ico favicon.svg govuk-crest.svg; do
  cp "$build/node_modules/govuk-frontend/dist/govuk/assets/images/$image" "$govuk/assets/images/"
done
tests="$here/../../../../../tests/web"
cp "$build/node_modules/axe-core/axe.min.js" "$tests/axe.min.js"
cp "$build/node_modules/axe-core/LICENSE" "$tests/axe-core-LICENSE.txt"
