{{/*
Helpers of the envoy-configs chart. Every helper is named envoy-configs.<thing>.
*/}}

{{/* Common labels of every object. */}}
{{- define "envoy-configs.labels" -}}
app.kubernetes.io/name: envoy-configs
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Namespace of the Gateway: gateway.namespace, else the release namespace. */}}
{{- define "envoy-configs.gatewayNamespace" -}}
{{- .Values.gateway.namespace | default .Release.Namespace -}}
{{- end -}}

{{/* Listener (and parentRef sectionName) of a route: tls-<port>, or tls-<port>-<fqdn> with listenerPerHostname. */}}
{{- define "envoy-configs.listenerName" -}}
{{- $r := .route -}}
{{- if .root.Values.gateway.listenerPerHostname -}}
{{- printf "tls-%d-%s" (int $r.port) ($r.fqdn | replace "*" "wildcard" | replace "." "-") -}}
{{- else -}}
{{- printf "tls-%d" (int $r.port) -}}
{{- end -}}
{{- end -}}

{{/*
The routes.tls entries, validated and normalised, as JSON {"routes": [...]}: each with name, fqdn (lower case), port,
namespace (of the TLSRoute), serviceName, servicePort, serviceNamespace, listener and path (routes.tls[i]).
Required keys and types are enforced by values.schema.json (Helm validates it before any template runs); this
fails on what a schema cannot express: a duplicate fqdn on one port, a duplicate TLSRoute name, Same-namespace routes.
*/}}
{{- define "envoy-configs.routes" -}}
{{- $out := list -}}
{{- $seenHost := dict -}}
{{- $seenName := dict -}}
{{- $tls := .Values.routes.tls | default list -}}
{{- range $i, $e := $tls -}}
{{- $path := printf "routes.tls[%d]" $i -}}
{{- $svc := $e.service | default dict -}}
{{- $fqdn := lower $e.fqdn -}}
{{- $name := $e.name | default (first (splitList "." ($fqdn | replace "*" "wildcard"))) -}}
{{- $port := int ($e.gatewayPort | default 443) -}}
{{- $r := dict "name" $name "fqdn" $fqdn "port" $port "namespace" $e.namespace "serviceName" $svc.name "servicePort" (int $svc.port) "serviceNamespace" ($svc.namespace | default $e.namespace) "path" $path -}}
{{- $_ := set $r "listener" (include "envoy-configs.listenerName" (dict "root" $ "route" $r)) -}}
{{- $hk := printf "%d/%s" $port $fqdn -}}
{{- with get $seenHost $hk -}}
{{- fail (printf "%s (%s) and %s (%s): both route fqdn %s on gatewayPort %d; SNI can select only one backend. Either: remove one entry, or give one a different gatewayPort." .path .name $path $name $fqdn $port) -}}
{{- end -}}
{{- $_ := set $seenHost $hk $r -}}
{{- $nk := printf "%s/%s" $e.namespace $name -}}
{{- with get $seenName $nk -}}
{{- fail (printf "%s and %s: both would create TLSRoute %s in namespace %s. Either: set a distinct `name` on one of them." .path $path $name $e.namespace) -}}
{{- end -}}
{{- $_ := set $seenName $nk $r -}}
{{- $out = append $out $r -}}
{{- end -}}
{{- if eq $.Values.gateway.allowedRoutesFrom "Same" -}}
{{- $gwNs := include "envoy-configs.gatewayNamespace" $ -}}
{{- range $out -}}
{{- if ne .namespace $gwNs -}}
{{- fail (printf "%s.namespace: %s, but gateway.allowedRoutesFrom is Same and the Gateway is in %s: the route could not attach. Either: set gateway.allowedRoutesFrom: Selector, or put the route in %s." .path .namespace $gwNs $gwNs) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- dict "routes" $out | toJson -}}
{{- end -}}
