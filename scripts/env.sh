# Usage: source scripts/env.sh
# Puts the project's pinned tools (.tools/bin) and Python virtualenv (.venv/bin) first on PATH and points Helm at
# the project's plugin folder, so `helm unittest`, `kustomize`, `nautobot-server` ... resolve to the pinned versions.
_understack_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
export UNDERSTACK_ROOT="$_understack_root"
export PATH="$_understack_root/.tools/bin:$_understack_root/.venv/bin:$PATH"
export HELM_PLUGINS="$_understack_root/.tools/helm-plugins"
unset _understack_root
