#!/usr/bin/env bash
# The body of .ci/run, inside a private mount namespace (every mount here vanishes with it).
#   1. debootstrap a minimal Debian 12 from this machine's apt sources;
#   2. in a copy of it, run README command (a) (setup, build, CLI tour) and command (b) (setup,
#      build, tests) with this machine's CUDA toolkit bind-mounted read-only, as the toolkit is no
#      Debian package; build the .deb and .tar.gz, check them with lintian and desktop-file-validate;
#   3. unmount the toolkit and run the tests again, as a user without CUDA;
#   4. install the .deb with apt into a second fresh copy and run it there.
# Only the apt download cache is shared with the host. Usage: clean-root.sh WORK_DIR
set -euo pipefail
work=$1
src=$(pwd)
timings=()
step_start=0
begin() { step_start=$SECONDS; printf '\n==== ci: %s\n' "$1"; step_name=$1; }
end() { timings+=("$(printf '%-58s %5d s' "$step_name" $((SECONDS - step_start)))"); }

# The first ```sh block after the README line starting with **(a) or **(b).
readme_command() {
  awk -v tag="**($1)" 'index($0, tag) == 1 {f = 1} f && /^```sh/ {b = 1; next} b && /^```/ {exit} b {print}' README.md
}
command_a=$(readme_command a)
command_b=$(readme_command b)
[ -n "$command_a" ] && [ -n "$command_b" ] || { echo "ci: README commands (a) and (b) not found" >&2; exit 1; }

# This machine's Debian 12 sources: deb822 stanzas signed by the Debian archive keyring, and
# one-line entries for bookworm. Read at run time so no mirror is written down here.
debian_sources() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && awk 'BEGIN {RS = ""; ORS = "\n\n"} /Suites:[^\n]*bookworm/ && /debian-archive-keyring/' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] && awk '$1 == "deb" && / bookworm/' "$f"
  done
  true
}
sources=$(debian_sources)
mirror=$(printf '%s\n' "$sources" | awk '
  /^URIs:/ {uri = $2} /^Suites:/ {for (i = 2; i <= NF; i++) if ($i == "bookworm" && uri != "") {print uri; exit}}
  $1 == "deb" {for (i = 2; i <= NF; i++) if ($i == "bookworm") {print $(i - 1); exit}}')
[ -n "$mirror" ] || { echo "ci: this machine has no Debian 12 (bookworm) apt source to build a root from" >&2; exit 1; }

begin "debootstrap --variant=minbase bookworm"
debootstrap --variant=minbase --cache-dir=/var/cache/apt/archives bookworm "$work/base" "$mirror" > "$work/debootstrap.log" 2>&1 ||
  { tail -20 "$work/debootstrap.log"; exit 1; }
rm -f "$work/base/etc/apt/sources.list"
printf '%s\n' "$sources" > "$work/base/etc/apt/sources.list.d/debian.sources"
cp /etc/resolv.conf "$work/base/etc/resolv.conf" 2>/dev/null || true
printf '#!/bin/sh\nexit 101\n' > "$work/base/usr/sbin/policy-rc.d" && chmod +x "$work/base/usr/sbin/policy-rc.d"
cp -a "$work/base" "$work/build-root"
mv "$work/base" "$work/install-root"
end

# /proc, /sys, /dev as the tests need them, and the host's apt download cache.
mount_root() {
  local r=$1
  mount -t proc proc "$r/proc"
  mount --rbind /sys "$r/sys" && mount --make-rslave "$r/sys"
  mount --rbind /dev "$r/dev" && mount --make-rslave "$r/dev"
  mkdir -p /var/cache/apt/archives/partial
  mount --bind /var/cache/apt/archives "$r/var/cache/apt/archives"
}
# Runs a shell command in a root with a clean environment (no host variables leak in).
in_root() {
  local r=$1
  shift
  chroot "$r" /usr/bin/env -i HOME=/root LANG=C.UTF-8 CI=true TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin bash -eo pipefail -c "$*"
}

root=$work/build-root
mount_root "$root"
mkdir -p "$root/src" && mount --bind "$src" "$root/src"
cuda_dir=$(readlink -f /usr/local/cuda 2>/dev/null || true)
if [ -n "$cuda_dir" ] && [ -x "$cuda_dir/bin/nvcc" ]; then
  mkdir -p "$root$cuda_dir" && mount --bind "$cuda_dir" "$root$cuda_dir" && mount -o remount,bind,ro "$root$cuda_dir"
  [ "$cuda_dir" = /usr/local/cuda ] || ln -s "$cuda_dir" "$root/usr/local/cuda"
  echo "ci: CUDA toolkit $cuda_dir mounted read-only for the build"
else
  cuda_dir=""
  echo "ci: no CUDA toolkit on this machine: the CUDA backend is not compiled in this run"
fi

begin "README (a): $command_a"
in_root "$root" "cd /src && $command_a"
end

begin "README (b): $command_b"
in_root "$root" "cd /src && $command_b" 2>&1 | tee "$work/tests.log"
end

begin "packages: cpack, lintian, desktop-file-validate"
in_root "$root" "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends lintian desktop-file-utils >/dev/null"
in_root "$root" "cd /src/build && rm -f strata_*.deb strata-*.tar.gz && cpack"
deb=$(cd "$root/src/build" && ls strata_*.deb)
in_root "$root" "cd /src/build && dpkg-deb --info $deb | sed -n '/Depends/p' && dpkg-deb --contents $deb | awk '{print \$6}'"
# lintian exits non-zero on errors; its warnings are printed for the note.
in_root "$root" "cd /src/build && lintian --display-level '>=warning' $deb; echo lintian: no errors"
in_root "$root" "rm -rf /tmp/deb && dpkg-deb -x /src/build/$deb /tmp/deb && desktop-file-validate /tmp/deb/usr/share/applications/strata-studio.desktop && echo desktop-file-validate: ok"
end

if [ -n "$cuda_dir" ]; then
  begin "tests again without the CUDA toolkit"
  umount "$root$cuda_dir"
  rm -f "$root/usr/local/cuda"
  in_root "$root" "cd /src && ! ldd build/app/cli/strata | grep -i cuda && build/app/cli/strata --version &&
    ctest --test-dir build -j \$(nproc) --output-on-failure"
  end
fi

begin "the .deb in a second clean root: apt-get install ./$deb"
mount_root "$work/install-root"
cp "$root/src/build/$deb" "$work/install-root/tmp/"
in_root "$work/install-root" "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /tmp/$deb >/dev/null &&
  ! ls /usr/local/cuda* 2>/dev/null && strata --version && strata synth --preset tiny --out /tmp/tiny && strata inspect /tmp/tiny > /tmp/inspect.txt && head -20 /tmp/inspect.txt &&
  QT_QPA_PLATFORM=offscreen strata-studio /tmp/tiny --screenshot /tmp/studio.png && test -s /tmp/studio.png &&
  echo \"studio screenshot: \$(stat -c %s /tmp/studio.png) bytes\" &&
  { strata convert /tmp/tiny --to megatron --tp 1 --device cuda --out /tmp/cuda-out; test \$? -ne 0; } && test ! -e /tmp/cuda-out &&
  ls /usr/share/man/man1/strata.1.gz /usr/share/man/man1/strata-studio.1.gz /usr/share/bash-completion/completions/strata \
     /usr/share/mime/packages/strata.xml /usr/share/icons/hicolor/scalable/apps/strata.svg &&
  grep -q safetensors /usr/share/mime/globs2 && echo 'mime: .safetensors registered'"
end

printf '\n==== ci: timings\n'
printf '%s\n' "${timings[@]}"
printf '%-58s %5d s\n' "total" "$SECONDS"
# One closing line with the counts of README command (b)'s ctest run.
summary=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests failed out of [0-9]+' "$work/tests.log" | tail -1)
total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$summary")
failed=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$summary")
skipped=$(grep -c '(Skipped)' "$work/tests.log" || true)
echo "ci: $((total - failed - skipped)) passed, $failed failed, $skipped skipped"
