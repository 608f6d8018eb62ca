#!/usr/bin/env bash
# Installs the system packages the tests need on a bare Debian bookworm machine:
# Mesa's lavapipe Vulkan driver from bookworm-backports (Dawn needs Mesa >= 23; bookworm has 22)
# and the Vulkan loader, so the WebGPU backend runs on the CPU.
set -euo pipefail
if [ ! -f /etc/apt/sources.list.d/bookworm-backports.sources ]; then
  cat > /etc/apt/sources.list.d/bookworm-backports.sources <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
# unzip/zip for the dataset importer and its tests
apt-get install -y -qq unzip zip >/dev/null
# Chromium for the browser-mode end-to-end test (playwright-core drives Debian's build)
apt-get install -y -qq chromium >/dev/null
