#!/usr/bin/env bash
# Usage: bash ../../scripts/chart-lint.sh   (from a chart folder, charts/<chart>; run by the chart's `pnpm test`)
#
# helm lint --strict of the chart in the current folder with every ci/*-values.yaml scenario and with the example
# deploy repo's values for it (examples/deploy/*/<chart>/values.yaml), under Helm 4 (Argo CD 3.5) and Helm 3
# (Argo CD 3.4). It runs inside `pnpm test` because CI runs only that.
# Exit 0 when every lint passes, 1 otherwise (each failure names the values file and shows the tail of helm's output).
set -euo pipefail
case "${1:-}" in
  -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
esac
[[ -f Chart.yaml ]] || { echo "chart-lint: run it from a chart folder (no Chart.yaml in $PWD)" >&2; exit 2; }
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
