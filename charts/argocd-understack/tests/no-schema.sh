#!/usr/bin/env bash
# Usage: tests/no-schema.sh   (from the chart folder; run by `pnpm test`)
#
# Checks the template guards that only matter when schema validation is skipped (Argo CD helm.skipSchemaValidation,
# helm template --skip-schema-validation): helm-unittest always validates against values.schema.json, so these
# `fail`s cannot be reached from a suite. Exit 0 when every case fails (or renders) as expected.
set -euo pipefail
helm="$(dirname "$0")/../../../.tools/bin/helm"
status=0
expect_fail() { # <name> <expected message fragment> <helm args...>
  local name="$1" want="$2" out
  shift 2
  if out="$("$helm" template site-iad3 . --skip-schema-validation "$@" 2>&1)"; then
    echo "FAIL ${name}: rendered, expected an error containing: ${want}" >&2
    status=1
  elif [[ "${out}" != *"${want}"* ]]; then
    echo "FAIL ${name}: error does not contain: ${want}" >&2
    echo "${out}" | tail -3 >&2
    status=1
  else
    echo "ok   ${name}"
  fi
}
base=(--set deploy_url=https://git.example.com/ops/deploy.git --set site.enabled=true --set site.nautobot_worker.enabled=true)
expect_fail "should fail naming the key when chartSource is neither git nor oci" \
  'site.nautobot_worker.chartSource: "helm" is not a chart source. Either: git' \
  "${base[@]}" --set site.nautobot_worker.chartSource=helm
exit "${status}"
