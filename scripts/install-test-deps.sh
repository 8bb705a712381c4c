#!/usr/bin/env bash
# Install the system packages the test suite needs: an OpenSSH server (sftp tests),
# PostgreSQL (storage tests) and Chromium with its driver (console tests in a headless browser).
# Idempotent: does nothing when all are already present.
# The tests start their own throwaway servers on loopback; the packages' own services
# must not be started or left running.
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
    SUDO=sudo
else
    SUDO=
fi

have_sshd() { [[ -x /usr/sbin/sshd ]]; }
have_initdb() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }
have_chromium() { [[ -x /usr/bin/chromium ]]; }
have_chromedriver() { [[ -x /usr/bin/chromedriver ]]; }

packages=()
have_sshd || packages+=(openssh-server)
have_initdb || packages+=(postgresql)
have_chromium || packages+=(chromium)
have_chromedriver || packages+=(chromium-driver)

if [[ ${#packages[@]} -eq 0 ]]; then
    echo "install-test-deps: openssh-server, postgresql, chromium and chromium-driver already present"
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive

# Keep maintainer scripts from starting services (sshd on port 22, the default PostgreSQL
# cluster) while installing. Only add a policy-rc.d if there is none; remove ours afterwards.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    own_policy=1
fi
cleanup() {
    if [[ $own_policy -eq 1 ]]; then
        $SUDO rm -f "$policy"
    fi
}
trap cleanup EXIT

echo "install-test-deps: installing ${packages[*]}"
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${packages[@]}"

# Belt and braces: if a service got started anyway (no policy-rc.d support, systemd), stop it.
if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    $SUDO systemctl stop ssh.service ssh.socket 2>/dev/null || true
    $SUDO systemctl disable ssh.service ssh.socket 2>/dev/null || true
fi
if [[ -f /run/sshd.pid ]]; then
    $SUDO kill "$(cat /run/sshd.pid)" 2>/dev/null || true
fi

have_sshd || { echo "install-test-deps: /usr/sbin/sshd still missing" >&2; exit 1; }
have_initdb || { echo "install-test-deps: initdb still missing" >&2; exit 1; }
have_chromium || { echo "install-test-deps: /usr/bin/chromium still missing" >&2; exit 1; }
have_chromedriver || { echo "install-test-deps: /usr/bin/chromedriver still missing" >&2; exit 1; }
echo "install-test-deps: done"
