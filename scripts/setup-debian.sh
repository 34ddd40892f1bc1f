#!/usr/bin/env bash
# Installs everything Strata needs to build, test and run on Debian 12 (bookworm).
# Runs as root, or through sudo when not root. Safe to run again.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev libgl-dev
  catch2 libcli11-dev nlohmann-json3-dev libxxhash-dev
  python3 python3-torch python3-numpy
  xvfb xauth
)

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
echo "strata: dependencies installed"
