#!/usr/bin/env bash
# Renders resources/icons/strata.svg into the PNG sizes of the hicolor icon theme
# (resources/icons/hicolor/NxN/apps/strata.png). Run by hand when the SVG changes; the PNGs
# are committed so that a build needs no SVG renderer. Needs rsvg-convert (librsvg2-bin).
set -euo pipefail
cd "$(dirname "$0")/../resources/icons"
for n in 16 22 24 32 48 64 128 256; do
  mkdir -p "hicolor/${n}x${n}/apps"
  rsvg-convert -w "$n" -h "$n" strata.svg -o "hicolor/${n}x${n}/apps/strata.png"
done
echo "icons: $(ls hicolor | wc -l) sizes"
