#!/usr/bin/env bash
# Debian packages the test suite uses: tmux (the real-terminal journey tests), prometheus (its `prometheus` and
# `promtool`: the live SLO source, rule checks and backfilled data sets; `make demo` uses it when present), chromium
# (the browser tests, driven by Playwright through /usr/bin/chromium: no browser download) and
# fonts-noto-color-emoji (so the status page's screenshots show the templates' emoji instead of empty boxes) and
# prometheus-alertmanager (the live alert source: the alert tests post alerts to it and read its silences back;
# `make demo` shows alerts when it is present; the package, not a copied binary: it needs its template file) and
# zsh (`cockpit shell` is tested in a pseudo-terminal with both bash and zsh).
# Installs them when missing and when allowed to (root); otherwise says what is missing and goes on.
set -u
missing=()
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing+=(fonts-noto-color-emoji)
{ command -v prometheus && command -v promtool; } >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v zsh >/dev/null 2>&1 || missing+=(zsh)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages: ${missing[*]}"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "note: ${missing[*]} not installed and cannot install here (not root); the tests that need them are skipped."
fi
exit 0
