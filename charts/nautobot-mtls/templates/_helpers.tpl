{{/*
Helpers of the nautobot-mtls chart. Every helper is named nautobot-mtls.<thing>.
*/}}

{{/* Common labels of every object. */}}
{{- define "nautobot-mtls.labels" -}}
app.kubernetes.io/name: nautobot-mtls
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: understack
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The CA Issuer reference every issued certificate uses. */}}
{{- define "nautobot-mtls.caIssuerRef" -}}
issuerRef:
  group: cert-manager.io
  kind: Issuer
  name: {{ .Values.ca.issuerName }}
{{- end -}}

{{/* In-cluster DNS names of a Service: short, .<ns>, .<ns>.svc, .<ns>.svc.cluster.local. Input: dict name ns. */}}
{{- define "nautobot-mtls.serviceDnsNames" -}}
- {{ .name }}
- {{ .name }}.{{ .ns }}
- {{ .name }}.{{ .ns }}.svc
- {{ .name }}.{{ .ns }}.svc.cluster.local
{{- end -}}

{{/* Hours of a duration written as <N>h (what this chart documents); -1 for other forms (left to cert-manager). */}}
{{- define "nautobot-mtls.hours" -}}
{{- if regexMatch "^[0-9]+h$" (toString .) -}}{{ trimSuffix "h" (toString .) }}{{- else -}}-1{{- end -}}
{{- end -}}

{{/*
Checks a client certificate's lifetime against the contract the deploy-repo linter enforces (cert/lifetime):
duration >= 17520h (2 years) and renewBefore >= 720h (30 days) and shorter than duration.
Input: dict path duration renewBefore.
*/}}
{{- define "nautobot-mtls.checkClientLifetime" -}}
{{- $d := int (include "nautobot-mtls.hours" .duration) -}}
{{- $r := int (include "nautobot-mtls.hours" .renewBefore) -}}
{{- if and (ge $d 0) (lt $d 17520) -}}
{{- fail (printf "%s.duration: %s is under 2 years (17520h): site certificates are shipped by hand or PushSecret and each renewal is work per site. Either: use 26280h (3 years)." .path .duration) -}}
{{- end -}}
{{- if and (ge $r 0) (lt $r 720) -}}
{{- fail (printf "%s.renewBefore: %s leaves under 30 days (720h) to ship the renewed certificate to the site. Either: use 2160h (90 days)." .path .renewBefore) -}}
{{- end -}}
{{- if and (ge $d 0) (ge $r $d) -}}
{{- fail (printf "%s.renewBefore: %s is not shorter than duration %s: cert-manager would renew continuously. Either: use e.g. 2160h with 26280h." .path .renewBefore .duration) -}}
{{- end -}}
{{- end -}}

{{/*
The sites map, validated and normalised, as JSON {"sites": [...]} sorted by name: each with site, name (Certificate
and Secret), commonName, duration, renewBefore, push (bool), remoteKey. Null entries are skipped (an overlay's way to
remove a site). Types and names are enforced by values.schema.json before any template runs.
*/}}
{{- define "nautobot-mtls.sites" -}}
{{- $out := list -}}
{{- $sites := .Values.sites | default dict -}}
{{- range $site := keys $sites | sortAlpha -}}
{{- $e := get $sites $site -}}
{{- if not (kindIs "invalid" $e) -}}
{{- $c := $.Values.client -}}
{{- $push := $.Values.pushSecret.enabled -}}
{{- if hasKey $e "pushSecret" -}}{{- $push = $e.pushSecret -}}{{- end -}}
{{- $r := dict "site" $site "name" (printf "nautobot-mtls-client-%s" $site) "commonName" ($e.commonName | default $c.commonName) "duration" ($e.duration | default $c.duration) "renewBefore" ($e.renewBefore | default $c.renewBefore) "push" $push "remoteKey" ($e.remoteKey | default ($.Values.pushSecret.remoteKeyTemplate | replace "{site}" $site)) -}}
{{- include "nautobot-mtls.checkClientLifetime" (dict "path" (printf "sites.%s" $site) "duration" $r.duration "renewBefore" $r.renewBefore) -}}
{{- $out = append $out $r -}}
{{- end -}}
{{- end -}}
{{- dict "sites" $out | toJson -}}
{{- end -}}

{{/* Fails unless pushSecret.storeRef.name is set; called only when something is pushed. Input: the path that pushes. */}}
{{- define "nautobot-mtls.requireStore" -}}
{{- if not .root.Values.pushSecret.storeRef.name -}}
{{- fail (printf "pushSecret.storeRef.name: required when %s: the (Cluster)SecretStore that writes to your secrets provider. Either: set pushSecret.storeRef.name, or turn pushing off and copy the certificate by hand (docs/operator/add-a-site.md)." .path) -}}
{{- end -}}
{{- end -}}

{{/* A client Certificate. Input: dict root name commonName duration renewBefore site (site may be empty). */}}
{{- define "nautobot-mtls.clientCertificate" -}}
{{- $pk := .root.Values.client.privateKey -}}
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: {{ .name }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "nautobot-mtls.labels" .root | nindent 4 }}
    app.kubernetes.io/component: client-certificate
    {{- with .site }}
    understack.rackspace.com/site: {{ . }}
    {{- end }}
spec:
  secretName: {{ .name }}
  {{- with .site }}
  secretTemplate:
    labels:
      understack.rackspace.com/site: {{ . }}
  {{- end }}
  # CN = the PostgreSQL user: pg_hba `cert` maps the certificate's CN to the user it logs in as.
  commonName: {{ .commonName }}
  duration: {{ .duration }}
  renewBefore: {{ .renewBefore }}
  isCA: false
  # Explicit: cert-manager's default usages carry no extended key usage, and TLS servers want `client auth`.
  usages:
    - client auth
  privateKey:
    algorithm: {{ $pk.algorithm }}
    size: {{ $pk.size }}
    encoding: {{ $pk.encoding }}
    rotationPolicy: {{ $pk.rotationPolicy }}
  {{- include "nautobot-mtls.caIssuerRef" .root | nindent 2 }}
{{- end -}}

{{/*
Fails when two rendered Certificates would write the same Secret, or when any of them would write the CA key Secret
(`ca.secretName`): cert-manager would let them overwrite each other, and a CNPG `clientCASecret`, a site push or a
pod mount pointed at a leaf name would then get the CA private key. Called once, from certificate-ca.yaml.
*/}}
{{- define "nautobot-mtls.checkSecretNames" -}}
{{- $v := .Values -}}
{{- $names := list (list "caCert.secretName" $v.caCert.secretName) -}}
{{- if $v.postgres.enabled -}}
{{- $names = append $names (list "postgres.serverSecretName" $v.postgres.serverSecretName) -}}
{{- if $v.postgres.replication.enabled -}}
{{- $names = append $names (list "postgres.replication.secretName" $v.postgres.replication.secretName) -}}
{{- end -}}
{{- end -}}
{{- if $v.redis.enabled -}}
{{- $names = append $names (list "redis.serverSecretName" $v.redis.serverSecretName) -}}
{{- end -}}
{{- if $v.globalClient.enabled -}}
{{- $names = append $names (list "globalClient.secretName" $v.globalClient.secretName) -}}
{{- end -}}
{{- range $s := (include "nautobot-mtls.sites" . | fromJson).sites -}}
{{- $names = append $names (list (printf "sites.%s (Secret %s)" $s.site $s.name) $s.name) -}}
{{- end -}}
{{- range $n := $names -}}
{{- if eq (index $n 1) $v.ca.secretName -}}
{{- fail (printf "%s: %q is ca.secretName, the Secret holding the CA private key: that Certificate would overwrite the CA key, and whatever reads it (CNPG, a PushSecret, a pod) would get the CA key. Either: rename %s, or set ca.secretName to another name." (index $n 0) (index $n 1) (index $n 0)) -}}
{{- end -}}
{{- end -}}
{{- range $i, $a := $names -}}
{{- range $b := slice $names (add1 $i) -}}
{{- if eq (index $a 1) (index $b 1) -}}
{{- fail (printf "%s and %s: both name Secret %q: two Certificates would overwrite each other's key pair. Either: give one of them another name." (index $a 0) (index $b 0) (index $a 1)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if eq $v.ca.bootstrapIssuerName $v.ca.issuerName -}}
{{- fail (printf "ca.bootstrapIssuerName and ca.issuerName: both are %q: the self-signed Issuer and the CA Issuer would be one object. Either: give one of them another name." $v.ca.issuerName) -}}
{{- end -}}
{{- end -}}
