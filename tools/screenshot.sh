#!/usr/bin/env bash
# docs/playground.png, the README's picture of the playground: a 1280×800 screenshot of the page
# in headless Chromium (Debian's `chromium`), a finished run scrubbed back to an early step so
# that q is still on its way to p. It is the ignored test `screenshot_of_the_playground` in
# cli/tests/page.rs, which starts its own `klfit serve --port 0`, opens the link, waits until the
# page shows the run ended, and captures the tab.
#
#   tools/screenshot.sh [OUT.png]      (default docs/playground.png)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null 2>&1 || [ -n "${KLFIT_CHROMIUM:-}" ] || {
    echo "tools/screenshot.sh: needs Debian's chromium (apt-get install chromium) or KLFIT_CHROMIUM" >&2
    exit 1
}
out="$(realpath -m "${1:-docs/playground.png}")"
KLFIT_SCREENSHOT="$out" KLFIT_REQUIRE_BROWSER=1 cargo test --release -p klfit-cli --test page -- \
    --ignored --exact screenshot_of_the_playground --nocapture
