{{/*
Helpers of the nautobot-worker chart. Every helper is named nautobot-worker.<thing>.
*/}}

{{/* Chart name, overridable with nameOverride. */}}
{{- define "nautobot-worker.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Resource-name prefix: fullnameOverride, or the release name (plus the chart name unless already in it). */}}
{{- define "nautobot-worker.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* chart label value: name-version. */}}
{{- define "nautobot-worker.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select this release's objects. */}}
{{- define "nautobot-worker.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nautobot-worker.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Standard labels of every object. */}}
{{- define "nautobot-worker.labels" -}}
helm.sh/chart: {{ include "nautobot-worker.chart" . }}
{{ include "nautobot-worker.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.nautobot.image.tag | default .Chart.AppVersion | toString | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: understack
understack.io/site: {{ .Values.understack.site | quote }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* metadata.annotations block content from commonAnnotations merged with extra ones (arg: dict ctx, extra). */}}
{{- define "nautobot-worker.annotations" -}}
{{- $all := merge (deepCopy (.extra | default dict)) (deepCopy (.ctx.Values.commonAnnotations | default dict)) -}}
{{- if $all }}
annotations:
  {{- toYaml $all | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Labels of one celery worker's pods (selector). arg: dict ctx name */}}
{{- define "nautobot-worker.workerSelectorLabels" -}}
{{ include "nautobot-worker.selectorLabels" .ctx }}
app.kubernetes.io/component: nautobot-celery
understack.io/worker: {{ .name }}
{{- end -}}

{{/* The Nautobot image reference. */}}
{{- define "nautobot-worker.image" -}}
{{- $image := .Values.nautobot.image -}}
{{- $tag := $image.tag | default .Chart.AppVersion | toString -}}
{{- if $image.registry -}}
{{- printf "%s/%s:%s" $image.registry $image.repository $tag -}}
{{- else -}}
{{- printf "%s:%s" $image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* Name of the worker ServiceAccount. */}}
{{- define "nautobot-worker.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "nautobot-worker.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Name of the dedicated job ServiceAccount (when kubernetesJobs.serviceAccount.create). */}}
{{- define "nautobot-worker.jobServiceAccountName" -}}
{{- default (printf "%s-job" (include "nautobot-worker.fullname" .)) .Values.kubernetesJobs.serviceAccount.name -}}
{{- end -}}

{{/* Name of the ConfigMap holding nautobot_config.py (the chart's, or nautobot.configCM). */}}
{{- define "nautobot-worker.configMapName" -}}
{{- if .Values.nautobot.configCM -}}
{{- .Values.nautobot.configCM -}}
{{- else -}}
{{- printf "%s-config" (include "nautobot-worker.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* Content of nautobot_config.py: nautobot.config, else the chart's files/nautobot_config.py. */}}
{{- define "nautobot-worker.configContent" -}}
{{- if .Values.nautobot.config -}}
{{- .Values.nautobot.config -}}
{{- else -}}
{{- .Files.Get "files/nautobot_config.py" -}}
{{- end -}}
{{- end -}}

{{/* Name of the job-queue manifests ConfigMap. */}}
{{- define "nautobot-worker.jobQueuesConfigMapName" -}}
{{- printf "%s-job-queues" (include "nautobot-worker.fullname" .) -}}
{{- end -}}

{{/*
Recursive merge for worker settings: maps merge key by key, everything else (lists, scalars, false, 0, "")
from src replaces dst. Unlike sprig's mergeOverwrite this lets a worker set enabled: false or replicaCount: 0.
arg: dict dst src; returns JSON.
*/}}
{{- define "nautobot-worker.merge" -}}
{{- $dst := deepCopy (.dst | default dict) -}}
{{- range $key, $value := (.src | default dict) -}}
{{- if and (kindIs "map" $value) (kindIs "map" (get $dst $key)) -}}
{{- $_ := set $dst $key (include "nautobot-worker.merge" (dict "dst" (get $dst $key) "src" $value) | fromJson) -}}
{{- else -}}
{{- $_ := set $dst $key $value -}}
{{- end -}}
{{- end -}}
{{- toJson $dst -}}
{{- end -}}

{{/*
base's entries, then over's; an entry of over replaces a base entry with the same name (EnvVar, Volume,
VolumeMount, or a plain string such as a ConfigMap name) or, for VolumeMounts, the same mountPath.
arg: dict base over; returns a JSON list
*/}}
{{- define "nautobot-worker.overlayList" -}}
{{- $over := .over | default list -}}
{{- $names := dict -}}
{{- $paths := dict -}}
{{- range $over -}}
{{- if kindIs "map" . -}}
{{- $_ := set $names (toString .name) true -}}
{{- if .mountPath -}}{{- $_ := set $paths (toString .mountPath | trimSuffix "/") true -}}{{- end -}}
{{- else -}}
{{- $_ := set $names (toString .) true -}}
{{- end -}}
{{- end -}}
{{- $out := list -}}
{{- range (.base | default list) -}}
{{- $replaced := false -}}
{{- if kindIs "map" . -}}
{{- $replaced = or (hasKey $names (toString .name)) (and .mountPath (hasKey $paths (toString .mountPath | trimSuffix "/"))) -}}
{{- else -}}
{{- $replaced = hasKey $names (toString .) -}}
{{- end -}}
{{- if not $replaced -}}{{- $out = append $out . -}}{{- end -}}
{{- end -}}
{{- toJson (concat $out $over) -}}
{{- end -}}

{{/*
Every enabled worker, merged with its defaults, as JSON {name: spec}. spec.type is celery or kubernetes;
spec.queues is the list of queues (celery: taskQueues or the site; kubernetes: the worker name).
*/}}
{{- define "nautobot-worker.workers" -}}
{{- $out := dict -}}
{{- range $name, $worker := .Values.workers -}}
{{- if and $worker (kindIs "map" $worker) -}}
{{- $type := $worker.type | default "celery" | toString -}}
{{- $defaults := ternary $.Values.kubernetesJobs (omit $.Values.celery "enabled") (eq $type "kubernetes") -}}
{{- $spec := include "nautobot-worker.merge" (dict "dst" $defaults "src" $worker) | fromJson -}}
{{- $_ := set $spec "type" $type -}}
{{- if eq $type "kubernetes" -}}
{{- /* Job pods run the same Nautobot as the celery workers: celery's extra env, envFrom, volumes and mounts come
first, then the job-level list (kubernetesJobs.<key>, or the worker's own, which replaces it), whose entries
replace celery's of the same name (or, for mounts, the same mountPath). */ -}}
{{- range $key := list "extraEnvVars" "extraEnvVarsCM" "extraEnvVarsSecret" "extraVolumes" "extraVolumeMounts" -}}
{{- $_ := set $spec $key (include "nautobot-worker.overlayList" (dict "base" (get $.Values.celery $key) "over" (get $spec $key)) | fromJsonArray) -}}
{{- end -}}
{{- end -}}
{{- if not (hasKey $spec "enabled") -}}{{- $_ := set $spec "enabled" true -}}{{- end -}}
{{- /* Upstream compatibility: celery.enabled: false switches every celery worker off. */ -}}
{{- if and (eq $type "celery") (eq (toString $.Values.celery.enabled) "false") -}}{{- $_ := set $spec "enabled" false -}}{{- end -}}
{{- if $spec.enabled -}}
{{- $queues := list -}}
{{- if eq $type "kubernetes" -}}
{{- $queues = list $name -}}
{{- else -}}
{{- $raw := $worker.taskQueues -}}
{{- if kindIs "slice" $raw -}}
{{- $queues = $raw -}}
{{- else if $raw -}}
{{- range (splitList "," (toString $raw)) -}}
{{- if trim . -}}{{- $queues = append $queues (trim .) -}}{{- end -}}
{{- end -}}
{{- else if $.Values.understack.site -}}
{{- $queues = list $.Values.understack.site -}}
{{- end -}}
{{- end -}}
{{- $_ := set $spec "queues" $queues -}}
{{- $_ := set $out $name $spec -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- toJson $out -}}
{{- end -}}

{{/* "true" when at least one worker of type kubernetes is enabled. */}}
{{- define "nautobot-worker.kubernetesJobsEnabled" -}}
{{- $enabled := false -}}
{{- range $name, $spec := (include "nautobot-worker.workers" . | fromJson) -}}
{{- if eq $spec.type "kubernetes" -}}{{- $enabled = true -}}{{- end -}}
{{- end -}}
{{- $enabled -}}
{{- end -}}

{{/*
"true" when a pod mounts the job-queue manifests: Nautobot reads <queue>/manifest.json in whichever process
enqueues a job onto a kubernetes queue. That is a celery worker (a site task enqueuing a job), or a job pod that
runs with the worker ServiceAccount (job chaining); a job pod with its own ServiceAccount cannot create Jobs, so it
gets no manifests. arg: dict ctx spec
*/}}
{{- define "nautobot-worker.mountsJobQueues" -}}
{{- $v := .ctx.Values -}}
{{- if ne (include "nautobot-worker.kubernetesJobsEnabled" .ctx) "true" -}}
false
{{- else if eq .spec.type "celery" -}}
true
{{- else -}}
{{- not (or .spec.serviceAccountName $v.kubernetesJobs.serviceAccount.create) -}}
{{- end -}}
{{- end -}}

{{/* Checksum of everything that, when changed, must roll the pods: nautobot_config.py and the job manifests. */}}
{{- define "nautobot-worker.podChecksums" -}}
checksum/nautobot-config: {{ (printf "%s|%s" (include "nautobot-worker.configContent" .) .Values.nautobot.configCM) | sha256sum }}
{{- if eq (include "nautobot-worker.kubernetesJobsEnabled" .) "true" }}
checksum/job-queues: {{ include "nautobot-worker.jobQueuesData" . | sha256sum }}
{{- end }}
{{- end -}}

{{/*
The environment of a worker or job container, as a YAML list. Chart-set variables first; an entry of
extraEnvVars with the same name replaces the chart's (explicit values win), the rest of extraEnvVars follows.
arg: dict ctx spec
*/}}
{{- define "nautobot-worker.env" -}}
{{- $v := .ctx.Values -}}
{{- $env := list -}}
{{- $env = append $env (dict "name" "POD_NAME" "valueFrom" (dict "fieldRef" (dict "fieldPath" "metadata.name"))) -}}
{{- $env = append $env (dict "name" "POD_NAMESPACE" "valueFrom" (dict "fieldRef" (dict "fieldPath" "metadata.namespace"))) -}}
{{- $env = append $env (dict "name" "NAUTOBOT_CONFIG" "value" "/opt/nautobot/nautobot_config.py") -}}
{{- $env = append $env (dict "name" "NAUTOBOT_LOG_LEVEL" "value" ($v.nautobot.logLevel | toString)) -}}
{{- $env = append $env (dict "name" "NAUTOBOT_DB_ENGINE" "value" ($v.nautobot.db.engine | toString)) -}}
{{- $env = append $env (dict "name" "NAUTOBOT_DB_HOST" "value" ($v.nautobot.db.host | toString)) -}}
{{- $env = append $env (dict "name" "NAUTOBOT_DB_PORT" "value" ($v.nautobot.db.port | toString)) -}}
{{- $env = append $env (dict "name" "NAUTOBOT_DB_NAME" "value" ($v.nautobot.db.name | toString)) -}}
{{- $env = append $env (dict "name" "NAUTOBOT_DB_USER" "value" ($v.nautobot.db.user | toString)) -}}
{{- if not (kindIs "invalid" $v.nautobot.db.timeout) -}}
{{- $env = append $env (dict "name" "NAUTOBOT_DB_TIMEOUT" "value" ($v.nautobot.db.timeout | int | toString)) -}}
{{- end -}}
{{- $env = append $env (dict "name" "NAUTOBOT_DB_PASSWORD" "valueFrom" (dict "secretKeyRef" (dict "name" $v.nautobot.db.existingSecret "key" $v.nautobot.db.existingSecretPasswordKey))) -}}
{{- $env = append $env (dict "name" "NAUTOBOT_REDIS_HOST" "value" ($v.nautobot.redis.host | toString)) -}}
{{- $env = append $env (dict "name" "NAUTOBOT_REDIS_PORT" "value" ($v.nautobot.redis.port | toString)) -}}
{{- $env = append $env (dict "name" "NAUTOBOT_REDIS_SSL" "value" (ternary "True" "False" (eq (toString $v.nautobot.redis.ssl) "true"))) -}}
{{- if $v.nautobot.redis.username -}}
{{- $env = append $env (dict "name" "NAUTOBOT_REDIS_USERNAME" "value" ($v.nautobot.redis.username | toString)) -}}
{{- end -}}
{{- $env = append $env (dict "name" "NAUTOBOT_REDIS_PASSWORD" "valueFrom" (dict "secretKeyRef" (dict "name" $v.nautobot.redis.existingSecret "key" $v.nautobot.redis.existingSecretPasswordKey))) -}}
{{- $env = append $env (dict "name" "NAUTOBOT_SECRET_KEY" "valueFrom" (dict "secretKeyRef" (dict "name" $v.nautobot.django.existingSecret "key" $v.nautobot.django.existingSecretSecretKeyKey))) -}}
{{- if $v.mtls.enabled -}}
{{- $dir := $v.mtls.mountPath | trimSuffix "/" -}}
{{- $env = append $env (dict "name" "NAUTOBOT_MTLS_DIR" "value" $dir) -}}
{{- $env = append $env (dict "name" "NAUTOBOT_DB_SSLMODE" "value" ($v.mtls.dbSslMode | toString)) -}}
{{- if $v.mtls.dbSslNegotiation -}}
{{- $env = append $env (dict "name" "NAUTOBOT_DB_SSLNEGOTIATION" "value" ($v.mtls.dbSslNegotiation | toString)) -}}
{{- end -}}
{{- $env = append $env (dict "name" "NAUTOBOT_DB_SSLCERT" "value" (printf "%s/tls.crt" $dir)) -}}
{{- $env = append $env (dict "name" "NAUTOBOT_DB_SSLKEY" "value" (printf "%s/tls.key" $dir)) -}}
{{- $env = append $env (dict "name" "NAUTOBOT_DB_SSLROOTCERT" "value" (printf "%s/ca.crt" $dir)) -}}
{{- $env = append $env (dict "name" "NAUTOBOT_REDIS_SSL_CERT_REQS" "value" "required") -}}
{{- $env = append $env (dict "name" "NAUTOBOT_REDIS_SSL_CA_CERTS" "value" (printf "%s/ca.crt" $dir)) -}}
{{- $env = append $env (dict "name" "NAUTOBOT_REDIS_SSL_CERTFILE" "value" (printf "%s/tls.crt" $dir)) -}}
{{- $env = append $env (dict "name" "NAUTOBOT_REDIS_SSL_KEYFILE" "value" (printf "%s/tls.key" $dir)) -}}
{{- $mode := $v.mtls.trustBundle.mode | toString -}}
{{- if eq $mode "combined" -}}
{{- $bundle := printf "%s/ca-bundle.crt" ($v.mtls.trustBundle.mountPath | trimSuffix "/") -}}
{{- $env = append $env (dict "name" "SSL_CERT_FILE" "value" $bundle) -}}
{{- $env = append $env (dict "name" "REQUESTS_CA_BUNDLE" "value" $bundle) -}}
{{- else if eq $mode "private-ca" -}}
{{- $env = append $env (dict "name" "SSL_CERT_FILE" "value" (printf "%s/ca.crt" $dir)) -}}
{{- $env = append $env (dict "name" "REQUESTS_CA_BUNDLE" "value" (printf "%s/ca.crt" $dir)) -}}
{{- end -}}
{{- end -}}
{{- $env = append $env (dict "name" "NAUTOBOT_CELERY_HEALTH_PROBES_AS_FILES" "value" "True") -}}
{{- $env = append $env (dict "name" "NAUTOBOT_CELERY_WORKER_HEARTBEAT_FILE" "value" "/tmp/nautobot_celery_worker_heartbeat") -}}
{{- $env = append $env (dict "name" "NAUTOBOT_CELERY_WORKER_READINESS_FILE" "value" "/tmp/nautobot_celery_worker_ready") -}}
{{- if eq .spec.type "celery" -}}
{{- $env = append $env (dict "name" "NAUTOBOT_CELERY_TASK_ACKS_LATE" "value" (ternary "True" "False" (eq (toString .spec.task_acks_late) "true"))) -}}
{{- $env = append $env (dict "name" "NAUTOBOT_CELERY_WORKER_PREFETCH_MULTIPLIER" "value" (.spec.worker_prefetch_multiplier | int | toString)) -}}
{{- end -}}
{{- if and (eq .spec.type "celery") $v.metrics.enabled -}}
{{- $env = append $env (dict "name" "NAUTOBOT_CELERY_WORKER_PROMETHEUS_PORTS" "value" (.spec.metricsPort | int | toString)) -}}
{{- end -}}
{{- $env = append $env (dict "name" "PROMETHEUS_MULTIPROC_DIR" "value" "/tmp/prometheus-multiproc") -}}
{{- $env = append $env (dict "name" "prometheus_multiproc_dir" "value" "/tmp/prometheus-multiproc") -}}
{{- if eq (include "nautobot-worker.kubernetesJobsEnabled" .ctx) "true" -}}
{{- $env = append $env (dict "name" "NAUTOBOT_JOB_QUEUE_PATH" "value" ($v.nautobot.jobsManifestsMountPath | trimSuffix "/")) -}}
{{- $env = append $env (dict "name" "NAUTOBOT_KUBERNETES_JOB_POD_NAMESPACE" "value" .ctx.Release.Namespace) -}}
{{- end -}}
{{- $explicit := dict -}}
{{- range (.spec.extraEnvVars | default list) -}}
{{- $_ := set $explicit (toString .name) true -}}
{{- end -}}
{{- $final := list -}}
{{- range $env -}}
{{- if not (hasKey $explicit .name) -}}{{- $final = append $final . -}}{{- end -}}
{{- end -}}
{{- range (.spec.extraEnvVars | default list) -}}
{{- $final = append $final . -}}
{{- end -}}
{{- toYaml $final -}}
{{- end -}}

{{/* envFrom of a worker or job container. arg: dict ctx spec */}}
{{- define "nautobot-worker.envFrom" -}}
- configMapRef:
    name: {{ .ctx.Values.clusterData.name }}
{{- range (.spec.extraEnvVarsCM | default list) }}
- configMapRef:
    name: {{ tpl (toString .) $.ctx }}
{{- end }}
{{- range (.spec.extraEnvVarsSecret | default list) }}
- secretRef:
    name: {{ tpl (toString .) $.ctx }}
{{- end }}
{{- end -}}

{{/* The chart's own volumes (before extraVolumes). arg: dict ctx spec */}}
{{- define "nautobot-worker.chartVolumes" -}}
{{- $v := .ctx.Values -}}
- name: nautobot-config
  configMap:
    name: {{ include "nautobot-worker.configMapName" .ctx }}
    items:
      - key: nautobot_config.py
        path: nautobot_config.py
- name: tmp
  emptyDir: {}
- name: git-repos
  emptyDir: {}
- name: media
  emptyDir: {}
- name: prometheus-multiproc
  emptyDir: {}
{{- if $v.mtls.enabled }}
- name: mtls-certs
  secret:
    secretName: {{ $v.mtls.secretName }}
    defaultMode: {{ $v.mtls.defaultMode | int }}
{{- if eq (include "nautobot-worker.trustBundleUsed" .) "true" }}
- name: trust-bundle
  emptyDir:
    medium: Memory
    sizeLimit: 4Mi
{{- end }}
{{- end }}
{{- if eq (include "nautobot-worker.mountsJobQueues" .) "true" }}
- name: job-queues
  configMap:
    name: {{ include "nautobot-worker.jobQueuesConfigMapName" .ctx }}
    items:
      {{- range $name, $w := (include "nautobot-worker.workers" .ctx | fromJson) }}
      {{- if eq $w.type "kubernetes" }}
      - key: {{ $name }}.json
        path: {{ $name }}/manifest.json
      {{- end }}
      {{- end }}
{{- end }}
{{- end -}}

{{/* The chart's own volume mounts (before extraVolumeMounts). arg: dict ctx spec */}}
{{- define "nautobot-worker.chartVolumeMounts" -}}
{{- $v := .ctx.Values -}}
- name: nautobot-config
  mountPath: /opt/nautobot/nautobot_config.py
  subPath: nautobot_config.py
  readOnly: true
- name: tmp
  mountPath: /tmp
- name: git-repos
  mountPath: /opt/nautobot/git
- name: media
  mountPath: /opt/nautobot/media
# prometheus-client needs its multiprocess folder to exist before the first metric is created, at import time.
- name: prometheus-multiproc
  mountPath: /tmp/prometheus-multiproc
{{- if $v.mtls.enabled }}
- name: mtls-certs
  mountPath: {{ $v.mtls.mountPath | trimSuffix "/" }}
  readOnly: true
{{- if eq (include "nautobot-worker.trustBundleUsed" .) "true" }}
- name: trust-bundle
  mountPath: {{ $v.mtls.trustBundle.mountPath | trimSuffix "/" }}
  readOnly: true
{{- end }}
{{- end }}
{{- if eq (include "nautobot-worker.mountsJobQueues" .) "true" }}
- name: job-queues
  mountPath: {{ $v.nautobot.jobsManifestsMountPath | trimSuffix "/" }}
  readOnly: true
{{- end }}
{{- end -}}

{{/*
Volumes of worker and job pods: the chart's, then extraVolumes. An extra volume with the name of a chart volume
replaces it, so a values file that mounts the mTLS secret by hand (as the original site guide did) still renders a
valid pod. arg: dict ctx spec
*/}}
{{- define "nautobot-worker.volumes" -}}
{{- $extra := .spec.extraVolumes | default list -}}
{{- $names := dict -}}
{{- range $extra -}}{{- $_ := set $names (toString .name) true -}}{{- end -}}
{{- $out := list -}}
{{- range (include "nautobot-worker.chartVolumes" . | fromYamlArray) -}}
{{- if not (hasKey $names (toString .name)) -}}{{- $out = append $out . -}}{{- end -}}
{{- end -}}
{{- toYaml (concat $out $extra) -}}
{{- end -}}

{{/*
Volume mounts of the worker or job container: the chart's, then extraVolumeMounts. An extra mount with the name
or the mountPath of a chart mount replaces it (two mounts on one path are invalid). arg: dict ctx spec
*/}}
{{- define "nautobot-worker.volumeMounts" -}}
{{- $extra := .spec.extraVolumeMounts | default list -}}
{{- $names := dict -}}
{{- $paths := dict -}}
{{- range $extra -}}
{{- $_ := set $names (toString .name) true -}}
{{- $_ := set $paths (toString .mountPath | trimSuffix "/") true -}}
{{- end -}}
{{- $out := list -}}
{{- range (include "nautobot-worker.chartVolumeMounts" . | fromYamlArray) -}}
{{- if not (or (hasKey $names (toString .name)) (hasKey $paths (toString .mountPath | trimSuffix "/"))) -}}
{{- $out = append $out . -}}
{{- end -}}
{{- end -}}
{{- toYaml (concat $out $extra) -}}
{{- end -}}

{{/*
"true" when the pod needs the combined trust bundle: mTLS on, trustBundle.mode combined, and the values do not set
both SSL_CERT_FILE and REQUESTS_CA_BUNDLE themselves (the original site guide's values point both at ca.crt; a bundle
nothing reads would only cost an init container). arg: dict ctx spec
*/}}
{{- define "nautobot-worker.trustBundleUsed" -}}
{{- $v := .ctx.Values -}}
{{- $explicit := dict -}}
{{- range (.spec.extraEnvVars | default list) -}}{{- $_ := set $explicit (toString .name) true -}}{{- end -}}
{{- and $v.mtls.enabled (eq (toString $v.mtls.trustBundle.mode) "combined") (not (and (hasKey $explicit "SSL_CERT_FILE") (hasKey $explicit "REQUESTS_CA_BUNDLE"))) -}}
{{- end -}}

{{/* The init container that writes the combined trust bundle (system CAs + the mTLS CA). arg: dict ctx spec */}}
{{- define "nautobot-worker.trustBundleInitContainer" -}}
{{- $v := .ctx.Values -}}
{{- if eq (include "nautobot-worker.trustBundleUsed" .) "true" -}}
- name: trust-bundle
  image: {{ include "nautobot-worker.image" .ctx }}
  imagePullPolicy: {{ $v.nautobot.image.pullPolicy }}
  command:
    - sh
    - -ec
    - |
      # Public CAs first, then the private mTLS CA: outbound HTTPS and the private services both verify.
      cat "$SYSTEM_BUNDLE" "$MTLS_CA" > "$BUNDLE_DIR/ca-bundle.crt.tmp"
      mv "$BUNDLE_DIR/ca-bundle.crt.tmp" "$BUNDLE_DIR/ca-bundle.crt"
  env:
    - name: SYSTEM_BUNDLE
      value: {{ $v.mtls.trustBundle.systemBundle | quote }}
    - name: MTLS_CA
      value: {{ printf "%s/ca.crt" ($v.mtls.mountPath | trimSuffix "/") | quote }}
    - name: BUNDLE_DIR
      value: {{ $v.mtls.trustBundle.mountPath | trimSuffix "/" | quote }}
  {{- with (include "nautobot-worker.securityContext" .spec.containerSecurityContext) }}
  securityContext:
    {{- . | nindent 4 }}
  {{- end }}
  resources:
    requests:
      cpu: 10m
      memory: 16Mi
    limits:
      memory: 64Mi
  volumeMounts:
    - name: mtls-certs
      mountPath: {{ $v.mtls.mountPath | trimSuffix "/" }}
      readOnly: true
    - name: trust-bundle
      mountPath: {{ $v.mtls.trustBundle.mountPath | trimSuffix "/" }}
{{- end -}}
{{- end -}}

{{/* A security context without the upstream-style `enabled` switch; empty when enabled is false. */}}
{{- define "nautobot-worker.securityContext" -}}
{{- if and . (ne (toString (get . "enabled")) "false") -}}
{{- toYaml (omit . "enabled") -}}
{{- end -}}
{{- end -}}

{{/* The data of the job-queue ConfigMap: one <queue>.json Job manifest per kubernetes worker. */}}
{{- define "nautobot-worker.jobQueuesData" -}}
{{- $ctx := . -}}
{{- range $name, $spec := (include "nautobot-worker.workers" . | fromJson) }}
{{- if eq $spec.type "kubernetes" }}
{{ $name }}.json: {{ include "nautobot-worker.jobManifest" (dict "ctx" $ctx "name" $name "spec" $spec) | fromYaml | toPrettyJson | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
The affinity of one celery worker's pods. An explicit affinity (celery.affinity or workers.<name>.affinity) is used
as written and the presets are ignored, as in the upstream chart. Otherwise the upstream-compatible presets build it:
podAffinityPreset / podAntiAffinityPreset ("" off, soft, hard) attract or repel pods carrying this worker's selector
labels on the same node (topologyKey kubernetes.io/hostname); soft is a preferred term of weight 1, hard a required
term. nodeAffinityPreset {type, key, values} requires (hard) or prefers (soft) nodes whose label key is one of values.
Empty output: no affinity. Values are checked in nautobot-worker.validate. arg: dict ctx name spec
*/}}
{{- define "nautobot-worker.affinity" -}}
{{- $spec := .spec -}}
{{- if $spec.affinity -}}
{{- toYaml $spec.affinity -}}
{{- else -}}
{{- $affinity := dict -}}
{{- $selector := include "nautobot-worker.workerSelectorLabels" (dict "ctx" .ctx "name" .name) | fromYaml -}}
{{- $presets := dict "podAffinity" (toString ($spec.podAffinityPreset | default "")) "podAntiAffinity" (toString ($spec.podAntiAffinityPreset | default "")) -}}
{{- range $kind, $preset := $presets -}}
{{- $term := dict "labelSelector" (dict "matchLabels" $selector) "topologyKey" "kubernetes.io/hostname" -}}
{{- if eq $preset "soft" -}}
{{- $_ := set $affinity $kind (dict "preferredDuringSchedulingIgnoredDuringExecution" (list (dict "weight" 1 "podAffinityTerm" $term))) -}}
{{- else if eq $preset "hard" -}}
{{- $_ := set $affinity $kind (dict "requiredDuringSchedulingIgnoredDuringExecution" (list $term)) -}}
{{- end -}}
{{- end -}}
{{- $node := $spec.nodeAffinityPreset | default dict -}}
{{- $nodeType := toString ($node.type | default "") -}}
{{- $selectorTerm := dict "matchExpressions" (list (dict "key" (toString $node.key) "operator" "In" "values" ($node.values | default list))) -}}
{{- if eq $nodeType "soft" -}}
{{- $_ := set $affinity "nodeAffinity" (dict "preferredDuringSchedulingIgnoredDuringExecution" (list (dict "weight" 1 "preference" $selectorTerm))) -}}
{{- else if eq $nodeType "hard" -}}
{{- $_ := set $affinity "nodeAffinity" (dict "requiredDuringSchedulingIgnoredDuringExecution" (dict "nodeSelectorTerms" (list $selectorTerm))) -}}
{{- end -}}
{{- with $affinity -}}
{{- toYaml . -}}
{{- end -}}
{{- end -}}
{{- end -}}
