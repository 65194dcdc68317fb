#!/usr/bin/env bash
# Installs the Debian packages ThreePay needs to build, run and test, skipping what is already there.
# Used by `make run`, `make test` and .ci/run; with THREEPAY_CLUSTER_DEPS=1 (make run-cluster, make test-cluster) also
# what a Galera cluster needs. Needs root or sudo only when something is missing.
set -euo pipefail

packages=(
  pkg-config
  libfcgi-dev libfcgi-bin      # FastCGI responder library (fcgiapp.h) and cgi-fcgi
  libssl-dev openssl           # RSA2 signing; key generation for the sandbox
  libcurl4-openssl-dev         # HTTPS calls to Alipay
  libmariadb-dev               # MariaDB Connector/C
  libbson-dev                  # BSON request bodies and answers (application/bson)
  mariadb-server mariadb-client
  nginx-light                  # the front web server
  spawn-fcgi                   # documented way to keep the responder running without systemd
  curl                         # the README's example request
  libqrencode-dev libpng-dev   # the QR route's pictures (QR codes, PNG)
  chromium chromium-driver     # tests: the cashier page in a real headless browser
  zbar-tools librsvg2-bin      # tests: QR codes read back from pictures (zbarimg; SVG rasterised by rsvg-convert)
  fonts-wqy-microhei           # tests: Chinese text in the cashier page's screenshots
)
if [ "${THREEPAY_BENCH_DEPS:-0}" = 1 ]; then packages+=(wrk procps python3 linux-perf); fi
# Galera replication, and mariabackup + socat for the state transfer (SST) that brings a node up to date.
if [ "${THREEPAY_CLUSTER_DEPS:-0}" = 1 ]; then packages+=(galera-4 mariadb-backup socat); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing Debian packages: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
# Services installed here must not start system-wide instances: ThreePay runs its own on loopback.
policy_created=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  policy_created=1
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [ "$policy_created" = 1 ]; then $sudo rm -f /usr/sbin/policy-rc.d; fi
