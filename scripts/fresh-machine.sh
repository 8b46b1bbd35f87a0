#!/usr/bin/env bash
# The fresh-machine check (`make fresh-check`): the README's two commands, run from nothing on a bare
# Debian, as a new user would, on a clean clone of the current commit (HEAD; uncommitted changes are
# not part of it).
#
#   1. A Debian root file system from Debian's own packages (debootstrap --variant=minbase, the
#      release of the image's base, from the mirror in this machine's apt sources). It is made once
#      and kept as a tarball in var/fresh/; every check unpacks a pristine copy of it.
#   2. apt-get install of what the README says a user needs first, and nothing else.
#   3. `git clone` of HEAD into it, with ../shared beside it (the shared recordings).
#   4. `make run`: it must answer its first page (curl), and stop cleanly on Ctrl-C (SIGINT).
#   5. `CI=true make test`, against PostgreSQL and Redis on 127.0.0.1 (the chroot shares the
#      host's network), with the 20 slowest tests listed (--durations=20).
#
# It runs in a plain chroot, inside its own mount namespace (unshare --mount), so /proc, /sys and /dev
# mounted for it never show on the host and go away with it (the trap unmounts them too). podman
# and buildah are not used here: see docs/deploy.md, "The fresh-machine check and the image check".
#
# Needs root, debootstrap, git and curl on a Debian or Ubuntu host, and a few GB under var/fresh/
# (the copy is removed at the end; FRESH_KEEP=1 keeps it). The time of each phase is printed.
#   FRESH_RELEASE  Debian release (default bookworm: the image's python:3.11-slim-bookworm)
#   FRESH_MIRROR   Debian mirror (default: the first one in /etc/apt/sources*)
#   FRESH_PORT     port for `make run` (default: a free one)
#   FRESH_STEPS    which of run,test to do (default "run test"; "rootfs": only make the tarball)
#   FRESH_PYTEST_ADDOPTS  extra pytest options for the check (default --durations=20)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
release=${FRESH_RELEASE:-bookworm}
steps=${FRESH_STEPS:-run test}
cache="$repo/var/fresh"
tarball="$cache/$release-minbase.tar"

if [ "$(id -u)" -ne 0 ]; then
  echo "error: the fresh-machine check needs root (debootstrap, chroot, mounts)" >&2
  exit 1
fi

# Re-run in a private mount namespace: nothing mounted for the chroot can leak to the host.
if [ -z "${FRESH_IN_NAMESPACE:-}" ]; then
  exec unshare --mount --propagation private env FRESH_IN_NAMESPACE=1 bash "$0" "$@"
fi

for tool in debootstrap git curl; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found (apt-get install $tool)" >&2; exit 1; }
done

mirror=${FRESH_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(
    { grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
      grep -hE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}'
    } | grep -E '/debian/?$' | head -n 1 || true
  )
  mirror=${mirror:-http://deb.debian.org/debian}
fi

timings=()
current_phase=""
current_start=0
phase() {  # phase NAME COMMAND...: run it and record its wall time
  local name=$1 start=$SECONDS
  shift
  echo
  echo "=== $name"
  current_phase=$name current_start=$start
  "$@"
  current_phase=""
  local took=$((SECONDS - start))
  timings+=("$(printf '%-28s %5d s  (%dm%02ds)' "$name" "$took" $((took / 60)) $((took % 60)))")
  echo "=== $name: ${took} s"
}
report() {
  echo
  if [ -n "${current_phase:-}" ]; then
    timings+=("$(printf '%-28s %5d s  (failed or stopped)' "$current_phase" $((SECONDS - current_start)))")
  fi
  echo "=== phase times"
  printf '  %s\n' "${timings[@]}"
}

mkdir -p "$cache"
work=$(mktemp -d "$cache/run.XXXXXX")
root="$work/root"
mkdir -p "$root"
run_pid=""

cleanup() {
  local status=$?
  set +e
  if [ -n "$run_pid" ] && kill -0 "$run_pid" 2>/dev/null; then
    kill -TERM -- "-$run_pid" 2>/dev/null
    sleep 5
    kill -KILL -- "-$run_pid" 2>/dev/null
  fi
  # Anything still running inside the chroot (a test server left behind) would keep it busy.
  for proc in /proc/[0-9]*; do
    if [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ]; then
      kill -KILL "${proc#/proc/}" 2>/dev/null
    fi
  done
  for mount in dev/shm dev/pts dev sys proc; do
    mountpoint -q "$root/$mount" && umount -l "$root/$mount"
  done
  if [ "${FRESH_KEEP:-}" = "1" ]; then
    echo "kept: $root"
  else
    rm -rf --one-file-system "$work"
  fi
  report
  if [ "$status" -eq 0 ]; then echo "fresh-machine check: PASSED"; else echo "fresh-machine check: FAILED ($status)"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make_tarball() {
  local tmp="$cache/debootstrap.$$"
  rm -rf "$tmp"
  debootstrap --variant=minbase "$release" "$tmp" "$mirror"
  rm -rf "$tmp/var/cache/apt/archives/"*.deb
  tar -C "$tmp" --numeric-owner -cf "$tarball.part" .
  mv "$tarball.part" "$tarball"
  rm -rf --one-file-system "$tmp"
}
if [ -f "$tarball" ]; then
  echo "Debian $release root file system: $tarball (cached; delete it to build it again)"
else
  phase "debootstrap $release" make_tarball
fi
[ "$steps" = rootfs ] && exit 0  # the image check only needs the tarball

unpack() {
  tar -C "$root" --numeric-owner -xpf "$tarball"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  # debootstrap leaves /etc/hosts to the installer (or the container runtime, which writes one like
  # this): without it "localhost" does not resolve.
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
  # Where this machine reaches the registries through a TLS-inspecting proxy, its CA bundle
  # (SSL_CERT_FILE) is the network's, not Lectern's: it goes in, and the chroot's pip, uv and npm
  # are pointed at it. A machine on the open internet needs none of it.
  if [ -n "${SSL_CERT_FILE:-}" ] && [ -f "$SSL_CERT_FILE" ]; then
    mkdir -p "$root/etc/ssl"
    cp "$SSL_CERT_FILE" "$root/etc/ssl/host-network-ca.crt"
    export FRESH_CA=/etc/ssl/host-network-ca.crt
  fi
  # No daemon may start inside the chroot when a package is installed.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod +x "$root/usr/sbin/policy-rc.d"
  mount -t proc proc "$root/proc"
  mount -t sysfs sysfs "$root/sys"
  mount --bind /dev "$root/dev"
  mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
  mount -t tmpfs -o size=2g,mode=1777 shm "$root/dev/shm"
}
phase "pristine copy + mounts" unpack

# Commands inside the chroot get a clean environment, as in a new login shell.
in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb \
    LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    CI=true DEBIAN_FRONTEND=noninteractive \
    ${FRESH_CA:+SSL_CERT_FILE=$FRESH_CA PIP_CERT=$FRESH_CA NODE_EXTRA_CA_CERTS=$FRESH_CA} "$@"
}

# What the README asks a user to have first: Python 3.11+ with its venv module, and make.
prerequisites() {
  in_root apt-get update -q
  in_root apt-get install -y -q --no-install-recommends python3 python3-venv make
  in_root python3 --version
}
phase "apt-get python3(-venv) make" prerequisites

clone() {
  git clone -q --no-hardlinks "$repo" "$root/src/lectern"
  git -C "$root/src/lectern" log -1 --format='commit %H %s'
  # ../shared may be a link: its files go in, not the link.
  mkdir -p "$root/src/shared"
  cp -a "$(readlink -f "$repo/../shared")/." "$root/src/shared/"
  ls "$root/src/shared/media"
}
phase "git clone HEAD + ../shared" clone

make_run() {
  local port=${FRESH_PORT:-}
  if [ -z "$port" ]; then
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  fi
  local url="http://127.0.0.1:$port/" log="$work/make-run.log"
  # Its own session, so that "Ctrl-C" can go to the whole process group as a terminal sends it.
  setsid bash -c "$(declare -f in_root); root='$root'; cd /; in_root bash -c 'cd /src/lectern && LECTERN_BIND=127.0.0.1:$port exec make run'" \
    >"$log" 2>&1 &
  run_pid=$!
  local deadline=$((SECONDS + 1800)) page=""
  until page=$(curl -fsS -L --max-time 10 "$url" 2>/dev/null); do
    if ! kill -0 "$run_pid" 2>/dev/null; then
      cat "$log"
      echo "error: make run exited before it answered" >&2
      return 1
    fi
    if [ "$SECONDS" -gt "$deadline" ]; then
      tail -50 "$log"
      echo "error: make run did not answer $url in 30 minutes" >&2
      return 1
    fi
    sleep 3
  done
  grep -E 'username: demo|Lectern is running' "$log" || true
  echo "$url answered: <title>$(grep -o '<title>[^<]*' <<<"$page" | head -n 1 | sed 's/<title>//')</title>"
  grep -q '<form' <<<"$page" || { echo "error: the first page has no form" >&2; return 1; }
  # Ctrl-C: SIGINT to the foreground process group.
  kill -INT -- "-$run_pid"
  local waited=0
  while kill -0 "$run_pid" 2>/dev/null && [ "$waited" -lt 30 ]; do
    sleep 1
    waited=$((waited + 1))
  done
  if kill -0 "$run_pid" 2>/dev/null; then
    tail -30 "$log"
    echo "error: make run still running 30 s after Ctrl-C" >&2
    return 1
  fi
  run_pid=""
  local left
  left=$(for proc in /proc/[0-9]*; do [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ] && echo "${proc#/proc/}"; done || true)
  if [ -n "$left" ]; then
    ps -o pid,args -p "$(tr '\n' ',' <<<"$left" | sed 's/,$//')" || true
    echo "error: processes left running after Ctrl-C" >&2
    return 1
  fi
  echo "make run stopped after Ctrl-C in ${waited} s, nothing left running"
  tail -5 "$log"
}

make_test() {
  in_root env PYTEST_ADDOPTS="${FRESH_PYTEST_ADDOPTS:---durations=20}" \
    bash -c 'cd /src/lectern && make test'
}

for step in $steps; do
  case "$step" in
    run) phase "make run (first page)" make_run ;;
    test) phase "CI=true make test" make_test ;;
    *) echo "error: unknown step $step" >&2; exit 2 ;;
  esac
done
