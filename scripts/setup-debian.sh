#!/usr/bin/env bash
# Installs everything Strata needs to build, test, package and run on Debian 12 (bookworm),
# starting from a minimal system (CI checks this in a fresh `debootstrap --variant=minbase` root).
# Runs as root, or through sudo when not root. Safe to run again.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config git
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev libgl-dev  # Qt6Charts' CMake package needs Qt6OpenGL
  catch2 libcli11-dev nlohmann-json3-dev libxxhash-dev
  # packaging (cpack's .deb: dpkg-shlibdeps, and `file` to find the binaries)
  dpkg-dev file
  # tests: the reference checks run Debian's torch (never Strata itself); fonts so that
  # offscreen rendering draws text; Xvfb for a real window without a desktop
  python3 python3-torch python3-numpy
  # the Python module (packaging/python) and its pytest suite; the CLI and Studio never need them
  python3-dev pybind11-dev python3-pybind11 python3-pytest
  fontconfig fonts-dejavu-core
  xvfb xauth
)

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
echo "strata: dependencies installed"
