#!/bin/sh
# Installs the Debian packages claimreg needs to build, test and benchmark.
# Asks dpkg what is missing; runs apt-get (update once, then install) only for that.
# Arguments name further packages (`make fuzz` adds clang and its libFuzzer runtime, `make test`
# Debian's chromium for the browser test of the report).
set -eu

packages="g++ make cmake pkg-config libcli11-dev libsqlitecpp-dev libfmt-dev doctest-dev \
libsqlite3-dev libutf8proc-dev libicu-dev libgpgme-dev libxlsxwriter-dev libzip-dev libisal-dev libxml2-dev nettle-dev gnupg sqlite3 groff-base $*"

missing=""
for p in $packages; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = "installed" ] || missing="$missing $p"
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
else
    echo "install-deps: missing packages:$missing (run as root or install sudo)" >&2
    exit 1
fi

echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$as_root apt-get update -qq
# shellcheck disable=SC2086
$as_root apt-get install -y -qq --no-install-recommends $missing
