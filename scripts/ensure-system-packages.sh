#!/usr/bin/env bash
# The SFTP tests start a real OpenSSH server and the browser tests a real
# Chromium. Install them from Debian when missing (as root), else say how.
set -euo pipefail

missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v sftp >/dev/null 2>&1 || missing+=(openssh-client)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "missing system packages: ${missing[*]} (install them, e.g. sudo apt-get install -y ${missing[*]});" \
         "the tests that need them are skipped until then" >&2
    exit 0
fi
echo "installing ${missing[*]} ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
