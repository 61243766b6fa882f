#!/usr/bin/env bash
# The SFTP tests start a real OpenSSH server and the browser tests a real
# Chromium. Install them from Debian when missing (as root), else say how;
# then make sure sshd can start: it needs its privilege separation user and
# directory, which the package's install script does not always leave behind.
set -euo pipefail

missing=()
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v sftp >/dev/null 2>&1 || missing+=(openssh-client)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)

is_root() { [ "$(id -u)" -eq 0 ]; }

if [ ${#missing[@]} -gt 0 ]; then
    if ! is_root || ! command -v apt-get >/dev/null 2>&1; then
        echo "missing system packages: ${missing[*]} (install them, e.g. sudo apt-get install -y ${missing[*]});" \
             "the tests that need them are skipped until then" >&2
        exit 0
    fi
    echo "installing ${missing[*]} ..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# sshd refuses to start ("Privilege separation user sshd does not exist") without them.
if [ -x /usr/sbin/sshd ] && ! getent passwd sshd >/dev/null; then
    if is_root; then
        echo "creating the system user sshd (sshd's privilege separation user) ..."
        useradd --system --no-create-home --home-dir /run/sshd --shell /usr/sbin/nologin sshd
    else
        echo "the system user sshd is missing, and sshd will not start without it" \
             "(as root: useradd --system --no-create-home --home-dir /run/sshd --shell /usr/sbin/nologin sshd);" \
             "the SFTP tests fail until then" >&2
    fi
fi
if [ -x /usr/sbin/sshd ] && is_root; then
    mkdir -p /run/sshd
    chmod 0755 /run/sshd
fi
