#!/usr/bin/env bash
# Debian packages the test suite uses: tmux (the real-terminal journey tests), prometheus (its `prometheus` and
# `promtool`: the live SLO source, rule checks and backfilled data sets; `make demo` uses it when present), chromium
# (the browser tests, driven by Playwright through /usr/bin/chromium: no browser download) and
# fonts-noto-color-emoji (so the status page's screenshots show the templates' emoji instead of empty boxes) and
# prometheus-alertmanager (the live alert source: the alert tests post alerts to it and read its silences back;
# `make demo` shows alerts when it is present; the package, not a copied binary: it needs its template file) and
# zsh (`cockpit shell` is tested in a pseudo-terminal with both bash and zsh).
# redmine + redmine-sqlite + ruby-webrick (the Redmine tracker tests start a real Redmine on 127.0.0.1: Debian's
# Gemfile names no web server, so Gemfile.local adds webrick; dbconfig-common is preseeded to SQLite).
# Installs them when missing and when allowed to (root); otherwise says what is missing and goes on.
set -u
missing=()
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing+=(fonts-noto-color-emoji)
{ command -v prometheus && command -v promtool; } >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
command -v zsh >/dev/null 2>&1 || missing+=(zsh)
[ -e /usr/share/redmine/config/database.yml ] || [ -L /usr/share/redmine/config/database.yml ] \
  || missing+=(redmine redmine-sqlite)
dpkg -s ruby-webrick >/dev/null 2>&1 || missing+=(ruby-webrick)
redmine_webrick() {
  # Debian's Redmine Gemfile has no web server; `bin/rails server -u webrick` needs it named in Gemfile.local.
  local local_gemfile=/usr/share/redmine/Gemfile.local
  [ -d /usr/share/redmine ] || return 0
  grep -qs '^gem "webrick"' "$local_gemfile" || echo 'gem "webrick"' >>"$local_gemfile"
}
if [ ${#missing[@]} -eq 0 ]; then
  [ "$(id -u)" = 0 ] && redmine_webrick
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages: ${missing[*]}"
  # Redmine's database through dbconfig-common, answered up front so nothing asks: SQLite, set up now.
  debconf-set-selections <<'EOF'
redmine redmine/instances/default/dbconfig-install boolean true
redmine redmine/instances/default/database-type select sqlite3
EOF
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  redmine_webrick
else
  echo "note: ${missing[*]} not installed and cannot install here (not root); the tests that need them are skipped."
fi
exit 0
