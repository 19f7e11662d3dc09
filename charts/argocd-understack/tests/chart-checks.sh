#!/usr/bin/env bash
# Usage: tests/chart-checks.sh   (from the chart folder; run by `pnpm test` after the helm-unittest suites)
#
# Checks helm-unittest cannot express:
# - the template guards that only matter when schema validation is skipped (Argo CD helm.skipSchemaValidation,
#   helm template --skip-schema-validation): helm-unittest always validates against values.schema.json;
# - the pins stay in step with what they pin: the worker's default OCI chartVersion equals charts/nautobot-worker's
#   Chart.yaml version, and docs/argocd-understack.md names every upstream chart version the templates pin;
# - helm lint --strict with each ci/ scenario (Helm 4 and Helm 3), so CI's `pnpm test` enforces it;
# - the unknown-key guard (templates/validate.yaml) and the drift of its files/known-keys.json;
# - every examples/deploy/<cluster>/deploy.yaml is valid values for this chart (schema included), and each site
#   cluster (site enabled, global not) gets exactly one <cluster>-nautobot-worker Application and no global-only app
#   (nautobot-mtls holds the CA; cert-manager, cnpg-system, nautobot stay on the global cluster).
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

expect_fail "should fail suggesting site.nautobot_worker when a component name has swapped letters" \
  'site.nautobot_wroker: unknown key in site-iad3/deploy.yaml: did you mean site.nautobot_worker?' \
  "${base[@]}" --set site.nautobot_wroker.enabled=true
expect_fail "should fail suggesting enabled when a component flag is misspelt" \
  'site.nautobot_worker.enabeld: unknown key in site-iad3/deploy.yaml: did you mean site.nautobot_worker.enabled?' \
  "${base[@]}" --set site.nautobot_worker.enabeld=true
expect_fail "should fail suggesting the top-level key when a truncated one is unknown" \
  'deploy_ur: unknown key in clusters/site-iad3/deploy.yaml: did you mean deploy_url?' \
  "${base[@]}" --set deploy_path_prefix=clusters --set deploy_ur=x
expect_fail "should fail naming the fix when a component flag is the string \"false\" (it would count as on)" \
  'site.nautobot_worker.enabled: must be true or false in site-iad3/deploy.yaml, not string "false". A quoted value is a string, and any non-empty string (even "false") would switch it on. Either: write enabled: false (no quotes), or remove it.' \
  "${base[@]}" --set-string site.nautobot_worker.enabled=false
expect_fail "should fail naming the fix when a scope kill switch is not a boolean" \
  'site.enabled: must be true or false in site-iad3/deploy.yaml, not string "yes".' \
  "${base[@]}" --set-string site.enabled=yes
expect_fail "should fail naming the fix when a scope is not a map" \
  'site: must be a map of components in site-iad3/deploy.yaml, not bool true. Either:' \
  --set deploy_url=https://git.example.com/ops/deploy.git --set site=true
expect_fail "should fail naming the fix when a component is not a map" \
  'site.nautobot_worker: must be a map in site-iad3/deploy.yaml, not bool true. Either: write `nautobot_worker: {enabled: true}`' \
  --set deploy_url=https://git.example.com/ops/deploy.git --set site.enabled=true --set site.nautobot_worker=true
expect_fail "should fail listing the component's keys when an unknown key resembles none" \
  'global.nautobot.replicas: unknown key in site-iad3/deploy.yaml: known here: chartVersion, enabled, nautobot_config.' \
  "${base[@]}" --set global.nautobot.replicas=2
# A chart copy without files/known-keys.json (e.g. files/ added to .helmignore) must refuse to render, not skip the guard.
tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT
cp -r Chart.yaml values.yaml values.schema.json templates "${tmp}/"
if out="$("$helm" template site-iad3 "${tmp}" "${base[@]}" 2>&1)"; then
  bad "should fail when files/known-keys.json is missing: rendered"
elif [[ "${out}" != *"files/known-keys.json is missing from the argocd-understack chart"* ]]; then
  bad "should fail when files/known-keys.json is missing: unexpected error: $(echo "${out}" | tail -2)"
else
  ok "should fail naming files/known-keys.json when the chart ships without it"
fi
if node tests/known-keys.mjs; then
  ok "should keep files/known-keys.json in step with values.schema.json"
else
  bad "files/known-keys.json drifted from values.schema.json (see above)"
fi

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
# helm lint --strict with every ci/ scenario, under Helm 4 (Argo CD 3.5) and Helm 3 (Argo CD 3.4).
for values in ci/*-values.yaml; do
  for bin in "$helm" ../../.tools/bin/helm3; do
    if out="$("${bin}" lint --strict . -f "${values}" 2>&1)"; then
      ok "should pass $(basename "${bin}") lint --strict with ${values}"
    else
      bad "$(basename "${bin}") lint --strict -f ${values} failed:"$'\n'"$(echo "${out}" | tail -5)"
    fi
  done
done

examples=../../examples/deploy
for values in "${examples}"/*/deploy.yaml; do
  [[ -e "${values}" ]] || continue
  cluster="$(basename "$(dirname "${values}")")"
  if ! out="$("$helm" template "${cluster}" . --namespace argocd -f "${values}" 2>&1)"; then
    bad "examples/deploy/${cluster}/deploy.yaml does not render:"$'\n'"$(echo "${out}" | tail -3)"
    continue
  fi
  # A site cluster: `site.enabled: true` and no `global.enabled: true` (top-level blocks of deploy.yaml).
  if grep -q '^  enabled: true' <(sed -n '/^site:/,/^[^ #]/p' "${values}") \
    && ! grep -q '^  enabled: true' <(sed -n '/^global:/,/^[^ #]/p' "${values}"); then
    workers="$(grep -c "^  name: ${cluster}-nautobot-worker\$" <<<"${out}" || true)"
    global_apps="$(grep -E "^  name: ${cluster}-(nautobot-mtls|cert-manager|cnpg-system|nautobot)\$" <<<"${out}" || true)"
    if [[ "${workers}" == 1 && -z "${global_apps}" ]]; then
      ok "should render site cluster ${cluster} to one nautobot-worker Application and no global-only app"
    else
      bad "site cluster ${cluster}: ${workers} nautobot-worker Application(s), global-only apps: ${global_apps:-none}. Fix: examples/deploy/${cluster}/deploy.yaml (site.nautobot_worker.enabled: true, no global components)."
    fi
  else
    ok "should render examples/deploy/${cluster}/deploy.yaml"
  fi
done
exit "${status}"
