#!/usr/bin/env bash
# Usage: tests/lint/lint.sh   (from anywhere; run by `pnpm test` after the helm-unittest suites)
#
# helm lint --strict of this chart with every ci/*-values.yaml scenario and with the example deploy repo's values for
# it, under Helm 4 (Argo CD 3.5) and Helm 3 (Argo CD 3.4). It runs inside `pnpm test` because CI runs only that.
# Exit 0 when every lint passes, 1 otherwise (each failure names the values file and shows the tail of helm's output).
set -euo pipefail
cd "$(dirname "$0")/../.."
chart="$(basename "$PWD")"
status=0
values_files=(ci/*-values.yaml)
for f in ../../examples/deploy/*/"${chart}"/values.yaml; do
  [[ -e "${f}" ]] && values_files+=("${f}")
done
for values in "${values_files[@]}"; do
  for bin in ../../.tools/bin/helm ../../.tools/bin/helm3; do
    if out="$("${bin}" lint --strict . -f "${values}" 2>&1)"; then
      echo "ok   should pass $(basename "${bin}") lint --strict with ${values}"
    else
      echo "FAIL $(basename "${bin}") lint --strict -f ${values} failed (fix the chart or the values file):" >&2
      echo "${out}" | tail -8 >&2
      status=1
    fi
  done
done
exit "${status}"
