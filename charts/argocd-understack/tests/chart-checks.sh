#!/usr/bin/env bash
# Usage: tests/chart-checks.sh   (from the chart folder; run by `pnpm test` after the helm-unittest suites)
#
# Checks helm-unittest cannot express:
# - the template guards that only matter when schema validation is skipped (Argo CD helm.skipSchemaValidation,
#   helm template --skip-schema-validation): helm-unittest always validates against values.schema.json;
# - the pins stay in step with what they pin: the worker's default OCI chartVersion equals charts/nautobot-worker's
#   Chart.yaml version, and docs/argocd-understack.md names every upstream chart version the templates pin.
# Exit 0 when every check passes, 1 otherwise (each failure names the check and the fix).
set -euo pipefail
cd "$(dirname "$0")/.."
helm=../../.tools/bin/helm
status=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1" >&2; status=1; }

expect_fail() { # <name> <expected message fragment> <helm args...>
  local name="$1" want="$2" out
  shift 2
  if out="$("$helm" template site-iad3 . --skip-schema-validation "$@" 2>&1)"; then
    bad "${name}: rendered, expected an error containing: ${want}"
  elif [[ "${out}" != *"${want}"* ]]; then
    bad "${name}: error does not contain: ${want}"$'\n'"$(echo "${out}" | tail -3)"
  else
    ok "${name}"
  fi
}
base=(--set deploy_url=https://git.example.com/ops/deploy.git --set site.enabled=true --set site.nautobot_worker.enabled=true)
expect_fail "should fail naming the key when chartSource is neither git nor oci" \
  'site.nautobot_worker.chartSource: "helm" is not a chart source. Either: git' \
  "${base[@]}" --set site.nautobot_worker.chartSource=helm

worker_version="$(sed -n 's/^version: *//p' ../nautobot-worker/Chart.yaml)"
oci_default="$(sed -n 's/.*"targetRevision" (\$c.chartVersion | default "\([^"]*\)").*/\1/p' templates/application-nautobot-worker.yaml)"
if [[ -n "${worker_version}" && "${oci_default}" == "${worker_version}" ]]; then
  ok "should default the OCI worker chart to charts/nautobot-worker's version (${worker_version})"
else
  bad "the OCI worker chart default (${oci_default:-none}) is not charts/nautobot-worker's version (${worker_version:-none}). Fix: update the default in templates/application-nautobot-worker.yaml and in packages/schema/schemas/deploy.schema.json (site.nautobot_worker.chartVersion), then pnpm generate."
fi

docs=../../docs/argocd-understack.md
missing=()
while read -r chart version; do
  grep -q "\`${chart}\`.* ${version}" "${docs}" || missing+=("${chart} ${version}")
done < <(sed -n 's/.*"chart" "\([^"]*\)" "version" "\([^"]*\)".*/\1 \2/p' templates/*.yaml)
if [[ ${#missing[@]} -eq 0 ]]; then
  ok "should document every pinned upstream chart version in docs/argocd-understack.md"
else
  bad "docs/argocd-understack.md does not name the pinned version of: ${missing[*]}. Fix: update its Components table."
fi
exit "${status}"
