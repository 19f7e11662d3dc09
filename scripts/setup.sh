#!/usr/bin/env bash
# Usage: bash scripts/setup.sh [--no-system] [--no-build]
#
# Takes a fresh machine (a clone, Node >= 20.11 with npm, root or sudo for system packages) to a working checkout:
#   1. Debian packages, via apt-get as root or sudo, only those missing: python3 + python3-venv (the .venv),
#      redis-server, openssl, iproute2 (e2e tier), util-linux (flock), git;
#   2. pnpm at the version pinned in package.json#packageManager, then `pnpm install`;
#   3. `pnpm tools:install`: helm, helm3, kustomize, kind, helm-unittest (download, else go install) and .venv/;
#   4. `pnpm build`.
# Every step is idempotent: a second run only checks. --no-system skips step 1 (no root needed; python3 with its
# venv module, and for the e2e tier redis-server, must then come from elsewhere).
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
system=1
build=1
for arg in "$@"; do
  case "$arg" in
    --no-system) system=0 ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup: unknown option $arg (see --help)" >&2; exit 2 ;;
  esac
done

step() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'setup: %s\n' "$*" >&2; exit 1; }

step "checking Node.js"
# 20.11: import.meta.dirname, which the tests use.
command -v node >/dev/null || die "Node.js >= 20.11 is required: install it from your distribution or https://nodejs.org"
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 11) ? 0 : 1)' ||
  die "Node.js >= 20.11 is required, found $(node --version): install a newer one from https://nodejs.org"
echo "node $(node --version)" >&2

if [ "$system" = 1 ]; then
  step "system packages"
  need=()
  if ! command -v python3 >/dev/null; then
    need+=(python3 python3-venv)
  elif ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
    echo "python3 cannot create virtualenvs (no venv/ensurepip module): adding python3-venv" >&2
    need+=(python3-venv)
  fi
  command -v redis-server >/dev/null || need+=(redis-server)
  command -v openssl >/dev/null || need+=(openssl)
  command -v ip >/dev/null || need+=(iproute2)
  command -v flock >/dev/null || need+=(util-linux)
  command -v git >/dev/null || need+=(git)
  if [ "${#need[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
      die "missing ${need[*]} and not root: install them (apt-get install -y ${need[*]}) or rerun with --no-system"
    fi
    echo "installing ${need[*]}" >&2
    $sudo apt-get update -qq
    # RUNLEVEL=1 keeps Debian's maintainer scripts from starting a system redis: the tests start their own.
    $sudo env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "all present: python3 python3-venv redis-server openssl iproute2 util-linux git" >&2
  fi
fi

step "pnpm"
want_pnpm=$(node -p 'require("./package.json").packageManager.split("@")[1]')
have_pnpm=$(pnpm --version 2>/dev/null || true)
if [ "$have_pnpm" != "$want_pnpm" ]; then
  echo "installing pnpm $want_pnpm (found: ${have_pnpm:-none})" >&2
  if [ "$(id -u)" = 0 ] || [ -w "$(npm prefix -g)/lib" ]; then
    npm install -g --silent "pnpm@$want_pnpm"
  else
    sudo npm install -g --silent "pnpm@$want_pnpm"
  fi
fi
echo "pnpm $(pnpm --version)" >&2

step "pnpm install"
case "${CI:-}" in ""|false|0) ci=0 ;; *) ci=1 ;; esac
# Under the lock CONTRIBUTING.md asks for, so two installs in one shared checkout never race (flock is util-linux).
locked() { if command -v flock >/dev/null; then flock /tmp/understack-pnpm.lock "$@"; else "$@"; fi; }
if [ "$ci" = 1 ]; then locked pnpm install --frozen-lockfile --reporter=append-only; else locked pnpm install --reporter=append-only; fi

step "pinned tools and Python virtualenv"
pnpm -s tools:install

if [ "$build" = 1 ]; then
  step "build"
  pnpm -s build
fi

step "ready"
echo "Tools: source scripts/env.sh (helm, kustomize, kind, helm unittest, .venv). Tests: pnpm test" >&2
