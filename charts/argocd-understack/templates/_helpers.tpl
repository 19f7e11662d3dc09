{{/*
Helpers shared by every Application template. A template states only what differs for its component (namespace,
sync wave, sources); `argocd-understack.application` builds the rest of the Application, so metadata, labels,
finalizer, project, destination and sync policy are written once.
*/}}

{{/*
isEnabled: "true" when the scope's kill switch AND the component's flag are on, else "".
Argument: (list $ "<scope>" "<component_key>"). The flag is `enabled`, or for components with the installApp /
installConfigs split, either of those. A component missing from the values is disabled. Only a boolean true counts:
a quoted "false" is a non-empty string (validate.yaml rejects it with the fix; this keeps it off when that is bypassed).
*/}}
{{- define "argocd-understack.isEnabled" -}}
{{- $root := index . 0 -}}
{{- $scope := index $root.Values (index . 1) | default dict -}}
{{- $c := index $scope (index . 2) | default dict -}}
{{- $on := dict -}}
{{- range $k := list "enabled" "installApp" "installConfigs" -}}
{{- $v := index $c $k -}}
{{- $_ := set $on $k (and (kindIs "bool" $v) $v) -}}
{{- end -}}
{{- if and (kindIs "bool" $scope.enabled) $scope.enabled (or $on.enabled $on.installApp $on.installConfigs) -}}true{{- end -}}
{{- end }}

{{/*
component: the component's settings merged over the scopes in which it is enabled, as JSON ("{}" when it is enabled
in none). Argument: (list $ "<component_key>" "<scope>"...). A component that exists in both scopes (e.g.
external_secrets) still becomes ONE Application on a cluster that is both global and site: installApp and
installConfigs are OR-ed, other keys come from the first enabled scope listed.
*/}}
{{- define "argocd-understack.component" -}}
{{- $root := index . 0 -}}
{{- $key := index . 1 -}}
{{- $out := dict -}}
{{- range $scope := slice . 2 -}}
{{- if include "argocd-understack.isEnabled" (list $root $scope $key) -}}
{{- $c := index (index $root.Values $scope) $key -}}
{{- $flags := dict "_enabled" true "installApp" (or $out.installApp $c.installApp) "installConfigs" (or $out.installConfigs $c.installConfigs) -}}
{{- $out = merge (deepCopy $flags) $out (deepCopy $c) -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end }}

{{/* The cluster's folder in the deploy repo: `<deploy_path_prefix>/<release>`, or `<release>`. */}}
{{- define "argocd-understack.deployPath" -}}
{{- $prefix := trimSuffix "/" (toString (.Values.deploy_path_prefix | default "")) -}}
{{- if or (hasPrefix "/" $prefix) (has ".." (splitList "/" $prefix)) -}}
{{- fail (printf "deploy_path_prefix: %q must be a folder relative to the deploy repository root (no leading \"/\", no \"..\"): Argo CD refuses absolute app paths and paths outside the repository. Either: set it to e.g. \"clusters\", or remove it from %s/deploy.yaml." $prefix .Release.Name) -}}
{{- end -}}
{{- if $prefix -}}{{ printf "%s/%s" $prefix .Release.Name }}{{- else -}}{{ .Release.Name }}{{- end -}}
{{- end }}

{{/* deploy_url, or a failure that says where to set it. */}}
{{- define "argocd-understack.deployUrl" -}}
{{- required (printf "deploy_url is required: set it in %s/deploy.yaml to the Git URL of the deploy repository (e.g. deploy_url: https://git.example.com/ops/deploy.git), spelled as in Argo CD's repository settings" (include "argocd-understack.deployPath" .)) .Values.deploy_url -}}
{{- end }}

{{/*
The identity of a site's apps, from appLabels: `understack.rackspace.com/site` (default: the cluster name) and
`understack.rackspace.com/partition` (omitted when unset, so the deploy repo's values may still set it), as JSON.
*/}}
{{- define "argocd-understack.identity" -}}
{{- $labels := .Values.appLabels | default dict -}}
{{- $id := dict "site" (index $labels "understack.rackspace.com/site" | default .Release.Name) -}}
{{- with index $labels "understack.rackspace.com/partition" -}}
{{- $_ := set $id "partition" . -}}
{{- end -}}
{{- toJson $id -}}
{{- end }}

{{/*
The deploy repository as a source. Argument: (dict "root" $ "path" "<folder below the deploy path>"). Always
`ref: deploy` so `$deploy/...` value files resolve; with a path, that folder (a kustomization or plain manifests) is
rendered too. Without a path the source only provides the `$deploy` reference.
*/}}
{{- define "argocd-understack.deploySource" -}}
{{- $src := dict "repoURL" (include "argocd-understack.deployUrl" .root) "targetRevision" (.root.Values.deploy_ref | default "HEAD") "ref" "deploy" -}}
{{- with .path -}}
{{- $_ := set $src "path" (printf "%s/%s" (include "argocd-understack.deployPath" $.root) .) -}}
{{- end -}}
{{- toJson $src -}}
{{- end }}

{{/* This repository (understack_url at understack_ref) as a ref-only source named `understack`. */}}
{{- define "argocd-understack.understackRefSource" -}}
{{- toJson (dict "repoURL" .Values.understack_url "targetRevision" (.Values.understack_ref | default "HEAD") "ref" "understack") -}}
{{- end }}

{{/*
Helm settings of a chart source, as JSON. Argument: (dict "root" $ "releaseName" "<name>" "folder" "<deploy folder>"
"config" "<nautobot_config path or empty>" "configKey" "<values path of the config>" "identity" <map or nil>).
valueFiles: `$deploy/<deploy path>/<folder>/values.yaml`, ignored while missing. The inline valuesObject carries
only `identity`: Argo CD's inline values beat valueFiles, so anything else passed inline could not be overridden
from the deploy repo.
*/}}
{{- define "argocd-understack.helm" -}}
{{- $helm := dict "releaseName" .releaseName "ignoreMissingValueFiles" true "valueFiles" (list (printf "$deploy/%s/%s/values.yaml" (include "argocd-understack.deployPath" .root) .folder)) -}}
{{- with .config -}}
{{- if and (hasPrefix "$" .) (not (or (hasPrefix "$deploy/" .) (hasPrefix "$understack/" .))) -}}
{{- fail (printf "%s: %q names no source of this Application. Either: use $deploy/<path in the deploy repo> or $understack/<path in the UnderStack repo>, or a path relative to the chart." $.configKey .) -}}
{{- end -}}
{{- $_ := set $helm "fileParameters" (list (dict "name" "nautobot.config" "path" .)) -}}
{{- end -}}
{{- with .identity -}}
{{- $_ := set $helm "valuesObject" (dict "understack" .) -}}
{{- end -}}
{{- toJson $helm -}}
{{- end }}

{{/*
Sources a `nautobot_config` path needs besides the chart and the deploy repo: `$understack/...` resolves only when a
source is named `understack`. Argument: the path (may be empty). Returns a JSON list.
*/}}
{{- define "argocd-understack.configRefSources" -}}
{{- $root := index . 0 -}}
{{- $path := index . 1 | default "" -}}
{{- if hasPrefix "$understack/" $path -}}
{{- toJson (list (include "argocd-understack.understackRefSource" $root | fromJson)) -}}
{{- else -}}
[]
{{- end -}}
{{- end }}

{{/*
An upstream operator chart with the installApp / installConfigs split, as a JSON list of sources. Argument:
(dict "root" $ "c" <component> "folder" "<deploy folder>" "chart" (dict "repoURL" "chart" "version")).
installApp adds the chart (values from `$deploy/<path>/<folder>/values.yaml`); installConfigs makes the deploy
source render `<path>/<folder>/`; the deploy source is always present for `$deploy`.
*/}}
{{- define "argocd-understack.operatorSources" -}}
{{- $sources := list -}}
{{- if .c.installApp -}}
{{- $sources = append $sources (include "argocd-understack.chartSource" . | fromJson) -}}
{{- end -}}
{{- $sources = append $sources (include "argocd-understack.deploySource" (dict "root" .root "path" (ternary .folder "" (eq (toString .c.installConfigs) "true"))) | fromJson) -}}
{{- toJson $sources -}}
{{- end }}

{{/*
An upstream chart source, as JSON. Argument: (dict "root" $ "c" <component> "folder" "<deploy folder>" "chart"
(dict "repoURL" "chart" "version" "releaseName"?)). The version is pinned by the template; a component's
`chartVersion` overrides it.
*/}}
{{- define "argocd-understack.chartSource" -}}
{{- $helm := include "argocd-understack.helm" (dict "root" .root "releaseName" (.chart.releaseName | default .chart.chart) "folder" .folder "config" .config "configKey" .configKey) | fromJson -}}
{{- toJson (dict "repoURL" .chart.repoURL "chart" .chart.chart "targetRevision" (.c.chartVersion | default .chart.version) "helm" $helm) -}}
{{- end }}

{{/*
application: one Argo CD Application. Argument: (dict "root" $ "component" "<name>" "namespace" "<ns>" "wave" <int>
"c" <component settings> "sources" <list>). Name `<cluster>-<component>`; labels = appLabels plus the chart's own
(which win); the sync wave (the component's `wave` overrides the template's) orders prerequisites first when Argo CD
assesses Application health (see docs/argocd-understack.md).
*/}}
{{- define "argocd-understack.application" -}}
{{- $root := .root -}}
{{- $wave := .wave -}}
{{- /* A wave of 0 counts (hence hasKey, not default); null means unset. */ -}}
{{- if and (hasKey .c "wave") (not (kindIs "invalid" .c.wave)) -}}{{- $wave = .c.wave -}}{{- end -}}
{{- /* Argo CD refuses one repository at two revisions in one Application (argocd-render spec §1); say so here. */ -}}
{{- $revs := dict -}}
{{- range $src := .sources -}}
{{- if and $src.repoURL (not $src.chart) -}}
{{- $url := lower $src.repoURL | trimSuffix "/" | trimSuffix ".git" -}}
{{- $rev := toString ($src.targetRevision | default "HEAD") -}}
{{- if and (hasKey $revs $url) (ne (get $revs $url) $rev) -}}
{{- fail (printf "%s-%s: its sources name the repository %s at two revisions (%s and %s); Argo CD refuses such an Application (\"cannot reference multiple revisions for the same repository\"). This happens when deploy_url is the UnderStack repository (understack_url) with another ref. Either: set deploy_ref and understack_ref to the same revision, or keep the deploy repository separate." $root.Release.Name $.component $src.repoURL (get $revs $url) $rev) -}}
{{- end -}}
{{- $_ := set $revs $url $rev -}}
{{- end -}}
{{- end -}}
{{- $labels := merge (dict "app.kubernetes.io/part-of" "understack" "understack.rackspace.com/cluster" $root.Release.Name "understack.rackspace.com/component" .component) (deepCopy ($root.Values.appLabels | default dict)) -}}
{{- $app := dict
  "apiVersion" "argoproj.io/v1alpha1"
  "kind" "Application"
  "metadata" (dict
    "name" (printf "%s-%s" $root.Release.Name .component)
    "namespace" $root.Release.Namespace
    "labels" $labels
    "annotations" (dict "argocd.argoproj.io/sync-wave" (toString $wave))
    "finalizers" (list "resources-finalizer.argocd.argoproj.io"))
  "spec" (dict
    "project" "default"
    "destination" (dict "server" ($root.Values.cluster_server | default "https://kubernetes.default.svc") "namespace" .namespace)
    "sources" .sources
    "syncPolicy" (dict
      "automated" (dict "prune" true "selfHeal" true)
      "syncOptions" (list "CreateNamespace=true" "ServerSideApply=true")))
-}}
---
{{ toYaml $app }}
{{- end }}

{{/*
A chart of this repository (charts/<chart> of understack_url at understack_ref), release `<chart>`, values from
`$deploy/<path>/<chart>/values.yaml`, plus the deploy repo as `$deploy`; a JSON list. Argument: (dict "root" $
"chart" "<chart>").
*/}}
{{- define "argocd-understack.localChartSources" -}}
{{- $helm := include "argocd-understack.helm" (dict "root" .root "releaseName" .chart "folder" .chart) | fromJson -}}
{{- $chart := dict "repoURL" .root.Values.understack_url "path" (printf "charts/%s" .chart) "targetRevision" (.root.Values.understack_ref | default "HEAD") "helm" $helm -}}
{{- toJson (list $chart (include "argocd-understack.deploySource" (dict "root" .root) | fromJson)) -}}
{{- end }}

{{/*
validate: unknown keys fail the render, naming the key and the closest known one. The schema rejects them too, but
Argo CD can skip schema validation (helm.skipSchemaValidation), and a misspelt component (`nautobot_wroker`) or flag
(`enabeld`) would then silently disable it. The known keys come from files/known-keys.json, derived from
values.schema.json (tests/known-keys.mjs; `pnpm test` fails on drift; `pnpm generate` rewrites it).
*/}}
{{- define "argocd-understack.validate" -}}
{{- $known := .Files.Get "files/known-keys.json" | fromJson -}}
{{- if not $known.top -}}
{{- fail "files/known-keys.json is missing from the argocd-understack chart (or not JSON): it lists the keys the chart accepts. Fix: regenerate it with node tests/known-keys.mjs --write, and keep files/ out of .helmignore." -}}
{{- end -}}
{{- $file := printf "%s/deploy.yaml" (include "argocd-understack.deployPath" .) -}}
{{- range $k, $_ := .Values -}}
{{- include "argocd-understack.knownKey" (dict "path" "" "key" $k "known" $known.top "file" $file) -}}
{{- end -}}
{{- range $k, $v := .Values.appLabels | default dict -}}
{{- include "argocd-understack.label" (dict "key" $k "value" (toString $v) "file" $file) -}}
{{- end -}}
{{- $globalOnlyWhy := dict "nautobot_mtls" "it holds the mTLS CA private key, which never leaves the global cluster (a site with it could mint client certificates for every site)." "nautobot" "the site runs only Celery workers (site.nautobot_worker); web and beat run on the global cluster." "cnpg_system" "PostgreSQL runs only on the global cluster; site workers reach it through the gateway." -}}
{{- range $scope := list "global" "site" -}}
{{- $values := index $.Values $scope -}}
{{- if not (or (kindIs "map" $values) (kindIs "invalid" $values)) -}}
{{- fail (printf "%s: must be a map of components in %s, not %s %v. Either: write `%s:` with `enabled: true` and the components below it, or remove it." $scope $file (kindOf $values) $values $scope) -}}
{{- end -}}
{{- if kindIs "map" $values -}}
{{- $components := index $known $scope -}}
{{- range $name, $c := $values -}}
{{- if and (eq $scope "site") (hasKey $known.global $name) (not (hasKey $components $name)) -}}
{{- fail (printf "site.%s: %s is a global-only component, not accepted on a site cluster in %s: %s Either: enable it as global.%s in the global cluster's deploy.yaml, or remove it." $name $name $file (get $globalOnlyWhy $name | default "it runs once, on the global cluster.") $name) -}}
{{- end -}}
{{- include "argocd-understack.knownKey" (dict "path" (printf "%s." $scope) "key" $name "known" (append (keys $components) "enabled") "file" $file) -}}
{{- if eq $name "enabled" -}}
{{- include "argocd-understack.flag" (dict "path" (printf "%s.enabled" $scope) "value" $c "file" $file) -}}
{{- else if kindIs "map" $c -}}
{{- range $k, $v := $c -}}
{{- include "argocd-understack.knownKey" (dict "path" (printf "%s.%s." $scope $name) "key" $k "known" (index $components $name) "file" $file) -}}
{{- if has $k (list "enabled" "installApp" "installConfigs") -}}
{{- include "argocd-understack.flag" (dict "path" (printf "%s.%s.%s" $scope $name $k) "value" $v "file" $file) -}}
{{- end -}}
{{- end -}}
{{- else if not (kindIs "invalid" $c) -}}
{{- fail (printf "%s.%s: must be a map in %s, not %s %v. Either: write `%s: {enabled: true}` (or installApp/installConfigs), or set it to null to disable it." $scope $name $file (kindOf $c) $c $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end }}

{{/*
flag: fails unless .value is a boolean (or null). A quoted "false" is a non-empty string, which Go templates treat as
true: it would switch a component ON. values.schema.json rejects it too; this covers helm.skipSchemaValidation.
*/}}
{{- define "argocd-understack.flag" -}}
{{- if not (or (kindIs "bool" .value) (kindIs "invalid" .value)) -}}
{{- fail (printf "%s: must be true or false in %s, not %s %q. A quoted value is a string, and any non-empty string (even \"false\") would switch it on. Either: write %s: %s (no quotes), or remove it." .path .file (kindOf .value) (toString .value) (.path | splitList "." | last) (ternary "false" "true" (has (lower (toString .value)) (list "false" "no" "off" "0" ""))) ) -}}
{{- end -}}
{{- end }}

{{/*
knownKey: fails when .key is not in .known. The suggestion is a known key with the same letters (a transposition:
`nautobot_wroker`), else one that extends or shortens it by at most two characters (`nautobot_worke`).
*/}}
{{- define "argocd-understack.knownKey" -}}
{{- if not (has .key .known) -}}
{{- $letters := sortAlpha (splitList "" .key) | join "" -}}
{{- $hint := "" -}}
{{- range $k := sortAlpha .known -}}
{{- if and (not $hint) (eq (sortAlpha (splitList "" $k) | join "") $letters) -}}{{- $hint = $k -}}{{- end -}}
{{- end -}}
{{- range $k := sortAlpha .known -}}
{{- if and (not $hint) (or (hasPrefix $.key $k) (hasPrefix $k $.key)) (le (sub (max (len $k) (len $.key)) (min (len $k) (len $.key))) 2) -}}{{- $hint = $k -}}{{- end -}}
{{- end -}}
{{- $fix := ternary (printf "did you mean %s%s?" .path $hint) (printf "known here: %s." (sortAlpha .known | join ", ")) (ne $hint "") -}}
{{- fail (printf "%s%s: unknown key in %s: %s A misspelt key would silently disable what it configures. Either: fix it, or remove it (docs/argocd-understack.md lists every key)." .path .key .file $fix) -}}
{{- end -}}
{{- end }}

{{/*
label: fails unless .key / .value form a valid Kubernetes label (Argo CD would otherwise refuse every generated
Application at sync time, far from the typo). Value and key name: at most 63 characters, alphanumeric at both ends,
`-`, `_`, `.` inside; the optional key prefix is a DNS subdomain.
*/}}
{{- define "argocd-understack.label" -}}
{{- $word := "^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$" -}}
{{- $name := .key -}}
{{- $prefix := "" -}}
{{- if contains "/" .key -}}
{{- $prefix = splitList "/" .key | first -}}
{{- $name = trimPrefix (printf "%s/" $prefix) .key -}}
{{- end -}}
{{- $why := "" -}}
{{- if or (not $name) (gt (len $name) 63) (not (regexMatch $word $name)) -}}
{{- $why = "the key's name (after the optional `prefix/`) must be 1-63 characters, alphanumeric at both ends, with only `-`, `_`, `.` inside" -}}
{{- else if and (contains "/" .key) (or (gt (len $prefix) 253) (not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$" $prefix))) -}}
{{- $why = "the key's prefix must be a lower-case DNS subdomain (e.g. understack.rackspace.com)" -}}
{{- else if or (gt (len .value) 63) (not (regexMatch $word .value)) -}}
{{- $why = printf "the value %q must be at most 63 characters, alphanumeric at both ends, with only `-`, `_`, `.` inside" .value -}}
{{- end -}}
{{- with $why -}}
{{- fail (printf "appLabels.%s: not a valid Kubernetes label in %s: %s. Argo CD would refuse every Application of this cluster. Either: fix it, or remove it." $.key $.file .) -}}
{{- end -}}
{{- end }}
