{{/*
Cross-field checks the JSON schema cannot express, with messages that name the value path and the fix.
Included at the top of every template, so any render (helm template, Argo CD, helm-unittest) stops on bad input.
*/}}
{{- define "nautobot-worker.validate" -}}
{{- $v := .Values -}}
{{- if not $v.understack.site -}}
{{- fail "understack.site: required: the site name names the default worker's Celery queue and goes into every Celery node name. Either: set it in the site's deploy.yaml (Argo CD passes it inline), or pass it by hand, e.g. --set understack.site=rax-dev-iad3" -}}
{{- end -}}
{{- if not $v.nautobot.db.host -}}
{{- fail "nautobot.db.host: required: the worker reaches the global PostgreSQL only through the Envoy Gateway, which routes on this SNI host name. Either: set nautobot.db.host to the fqdn of the PostgreSQL route in envoy-configs, e.g. nautobot-db.dev.undercloud.example.net" -}}
{{- end -}}
{{- if not $v.nautobot.redis.host -}}
{{- fail "nautobot.redis.host: required: the worker reaches the global Redis only through the Envoy Gateway, which routes on this SNI host name. Either: set nautobot.redis.host to the fqdn of the Redis route in envoy-configs, e.g. nautobot-redis.dev.undercloud.example.net" -}}
{{- end -}}
{{- range $component := list "redis" "postgresql" "ingress" -}}
{{- if and (hasKey $v $component) (eq (toString (get (get $v $component | default dict) "enabled")) "true") -}}
{{- fail (printf "%s.enabled: this chart never deploys it: site workers reach the global cluster's services through the gateway (nautobot.db.host, nautobot.redis.host) and serve no HTTP. Either: set %s.enabled: false, or remove it" $component $component) -}}
{{- end -}}
{{- end -}}
{{- if or (eq (toString $v.nautobot.enabled) "true") (gt (int ($v.nautobot.replicaCount | default 0)) 0) -}}
{{- fail "nautobot.enabled / nautobot.replicaCount: the Nautobot web server runs on the global cluster only; this chart deploys workers. Either: set nautobot.enabled: false and nautobot.replicaCount: 0, or remove them" -}}
{{- end -}}
{{- if and $v.nautobot.superUser (eq (toString $v.nautobot.superUser.enabled) "true") -}}
{{- fail "nautobot.superUser.enabled: users are created on the global Nautobot; a site worker cannot create one. Either: set nautobot.superUser.enabled: false, or remove it" -}}
{{- end -}}
{{- range $exporter := list "nginxExporter" "uWSGIExporter" -}}
{{- if eq (toString (dig $exporter "enabled" false ($v.metrics | default dict))) "true" -}}
{{- fail (printf "metrics.%s.enabled: this chart runs no web server, so there is no nginx or uWSGI to export metrics from (the upstream chart's exporters sit beside the Nautobot web pod, which runs on the global cluster). Worker metrics come from metrics.enabled. Either: set metrics.%s.enabled: false, or remove it" $exporter $exporter) -}}
{{- end -}}
{{- end -}}
{{- range $component := list "db" "redis" -}}
{{- if (get (get $v.nautobot $component | default dict) "password") -}}
{{- fail (printf "nautobot.%s.password: this chart never renders a secret value (it would land in the release, Argo CD's cache and the rendered manifests). Either: store the password in a Secret and set nautobot.%s.existingSecret (and existingSecretPasswordKey), or remove nautobot.%s.password" $component $component $component) -}}
{{- end -}}
{{- end -}}
{{- if and $v.nautobot.config $v.nautobot.configCM -}}
{{- fail "nautobot.config and nautobot.configCM: both are set, but only one nautobot_config.py can be mounted: nautobot.config is the content for the chart's ConfigMap, nautobot.configCM names an existing ConfigMap to mount instead. Either: remove nautobot.configCM to use the content, or remove nautobot.config to mount the existing ConfigMap" -}}
{{- end -}}
{{- if $v.mtls.enabled -}}
{{- if ne (toString $v.mtls.defaultMode) "256" -}}
{{- fail (printf "mtls.defaultMode: must be 256 (decimal for octal 0400, owner read-only), got %v. Kubernetes reads defaultMode as a decimal number: 400 means octal 0620 (group-writable), which libpq refuses for a private key, and only an unquoted YAML 0400 is octal. Either: write mtls.defaultMode: 256, or remove it (256 is the default)" $v.mtls.defaultMode) -}}
{{- end -}}
{{- if ne (toString $v.nautobot.redis.ssl) "true" -}}
{{- fail "nautobot.redis.ssl: must be true when mtls.enabled is true: the client certificate is only presented over TLS, and Redis with tls-auth-clients refuses anything else. Either: set nautobot.redis.ssl: true, or set mtls.enabled: false" -}}
{{- end -}}
{{- if not (has (toString $v.mtls.dbSslMode) (list "verify-ca" "verify-full" "require")) -}}
{{- fail (printf "mtls.dbSslMode: must be \"verify-ca\", \"verify-full\" or \"require\", got %q. Either: set verify-ca (the default: presents the client certificate pg_hba cert requires and checks the server against ca.crt), verify-full (also checks the host name), or require (encrypts only; pg_hba cert then rejects the worker)" (toString $v.mtls.dbSslMode)) -}}
{{- end -}}
{{- if not (has (toString $v.mtls.dbSslNegotiation) (list "direct" "postgres" "")) -}}
{{- fail (printf "mtls.dbSslNegotiation: must be \"direct\", \"postgres\" or \"\", got %q. Either: set direct (the default; required behind the TLS-passthrough gateway, libpq >= 17), postgres (the classic SSLRequest, for a database reached without the gateway), or \"\" to leave NAUTOBOT_DB_SSLNEGOTIATION unset" (toString $v.mtls.dbSslNegotiation)) -}}
{{- end -}}
{{- if not (has (toString $v.mtls.trustBundle.mode) (list "combined" "private-ca" "system")) -}}
{{- fail (printf "mtls.trustBundle.mode: must be \"combined\", \"private-ca\" or \"system\", got %q. Either: set combined (the default: system CAs plus the mTLS CA, so jobs reach public and private HTTPS), private-ca (only ca.crt, the original site guide; public HTTPS fails), or system (the image's CAs only)" (toString $v.mtls.trustBundle.mode)) -}}
{{- end -}}
{{- end -}}
{{- if eq (toString $v.celery.celery_health_probes_as_files) "false" -}}
{{- fail "celery.celery_health_probes_as_files: must stay true: the chart's liveness, readiness and startup probes test the heartbeat and ready files Nautobot only writes with it (an httpGet or ping probe cannot work here). Either: remove it, or set it true" -}}
{{- end -}}
{{- include "nautobot-worker.validateMtlsVolumes" (dict "ctx" . "path" "celery.extraVolumes" "volumes" $v.celery.extraVolumes) -}}
{{- include "nautobot-worker.validateMtlsVolumes" (dict "ctx" . "path" "kubernetesJobs.extraVolumes" "volumes" $v.kubernetesJobs.extraVolumes) -}}
{{- range $name, $worker := $v.workers -}}
{{- if and $worker (kindIs "map" $worker) -}}
{{- include "nautobot-worker.validateMtlsVolumes" (dict "ctx" $ "path" (printf "workers.%s.extraVolumes" $name) "volumes" $worker.extraVolumes) -}}
{{- end -}}
{{- end -}}
{{- range $name, $worker := $v.workers -}}
{{- if and $worker (kindIs "map" $worker) -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" $name) -}}
{{- fail (printf "workers.%s: the name must be lower-case letters, digits and '-', starting and ending with a letter or digit: it names Kubernetes objects and, for kubernetes workers, the job queue folder. Either: rename the entry (e.g. %s), or remove it" $name (regexReplaceAll "[^a-z0-9-]+" (lower $name) "-" | trimAll "-")) -}}
{{- end -}}
{{- $type := toString ($worker.type | default "celery") -}}
{{- if not (has $type (list "celery" "kubernetes")) -}}
{{- fail (printf "workers.%s.type: must be \"celery\" or \"kubernetes\", got %q. Either: set type: celery (a Deployment consuming taskQueues), or type: kubernetes (a Kubernetes job-queue manifest named after the worker)" $name $type) -}}
{{- end -}}
{{- $enabled := ternary true $worker.enabled (not (hasKey $worker "enabled")) -}}
{{- if eq (toString $worker.celery_health_probes_as_files) "false" -}}
{{- fail (printf "workers.%s.celery_health_probes_as_files: must stay true: the chart's liveness, readiness and startup probes test the heartbeat and ready files Nautobot only writes with it (an httpGet or ping probe cannot work here). Either: remove it, or set it true" $name) -}}
{{- end -}}
{{- if and (eq $name "beat") $enabled -}}
{{- fail "workers.beat: Celery beat must not run on a site cluster: schedules are driven by the single beat on the global cluster, and a second beat would run every scheduled job twice. Either: set workers.beat.enabled: false, or remove workers.beat" -}}
{{- end -}}
{{- /* Non-empty, not hasKey: values.yaml gives workers.default taskQueues: "", which must not trip this. */ -}}
{{- if and $enabled (eq $type "kubernetes") $worker.taskQueues -}}
{{- fail (printf "workers.%s.taskQueues: not used by a kubernetes worker: its job queue is the worker name (%s). Either: remove taskQueues, or set type: celery" $name $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $workers := include "nautobot-worker.workers" . | fromJson -}}
{{- $celeryWorkers := list -}}
{{- $kubernetesWorkers := list -}}
{{- range $name, $spec := $workers -}}
{{- if eq $spec.type "celery" -}}{{- $celeryWorkers = append $celeryWorkers $name -}}{{- else -}}{{- $kubernetesWorkers = append $kubernetesWorkers $name -}}{{- end -}}
{{- end -}}
{{- /* Nautobot creates a Kubernetes Job in the process that enqueues the job. On a site that is a celery worker
(a site task enqueuing onto a kubernetes queue) or a job pod it started; jobs enqueued from the global Nautobot (UI,
API, schedules) are created by the global pods from their own manifests. A fail, not a NOTES warning: Argo CD,
which deploys this chart, never shows NOTES. */ -}}
{{- if and $kubernetesWorkers (not $celeryWorkers) -}}
{{- fail (printf "workers.%s.type: kubernetes job queues need a celery worker on this site, and none is enabled. Nautobot creates a queue's Kubernetes Job in the process that enqueues the job: here only a site celery worker (a task enqueuing onto the queue) or a job pod it started reads these manifests; jobs run from the global Nautobot (UI, API, schedules) are created by the global pods on the global cluster. Either: enable a celery worker (a workers.<name> with type: celery, such as the chart's workers.default; celery.enabled must not be false), or remove the kubernetes workers (%s) from this site's values" (first $kubernetesWorkers) (join ", " $kubernetesWorkers)) -}}
{{- end -}}
{{- if and $kubernetesWorkers $v.kubernetesJobs.rbac.create (not $v.serviceAccount.create) (not $v.serviceAccount.name) -}}
{{- fail "serviceAccount.name: empty while serviceAccount.create is false and kubernetes workers are enabled, so the Job-creating Role would be bound to the namespace's default ServiceAccount: every pod in the namespace could then create Jobs. Either: set serviceAccount.create: true, name an existing ServiceAccount in serviceAccount.name, or set kubernetesJobs.rbac.create: false and grant the rights yourself" -}}
{{- end -}}
{{- range $name, $spec := $workers -}}
{{- if eq $spec.type "celery" -}}
{{- include "nautobot-worker.validateAffinityPresets" (dict "ctx" $ "name" $name "spec" $spec) -}}
{{- end -}}
{{- end -}}
{{- include "nautobot-worker.validateNames" (dict "ctx" . "workers" $workers "celeryWorkers" $celeryWorkers) -}}
{{- range $name, $spec := $workers -}}
{{- if and $spec.autoscaling $spec.autoscaling.enabled (gt (int $spec.autoscaling.minReplicas) (int $spec.autoscaling.maxReplicas)) -}}
{{- fail (printf "workers.%s.autoscaling: minReplicas (%v) is greater than maxReplicas (%v), so the HorizontalPodAutoscaler would be rejected. Either: lower minReplicas, or raise maxReplicas (in workers.%s.autoscaling, or celery.autoscaling for every worker)" $name $spec.autoscaling.minReplicas $spec.autoscaling.maxReplicas $name) -}}
{{- end -}}
{{- range $spec.queues -}}
{{- if not (regexMatch "^[A-Za-z0-9][-A-Za-z0-9_.]*$" (toString .)) -}}
{{- fail (printf "workers.%s.taskQueues: %q is not a valid queue name: Celery queue names here are letters, digits, '-', '_' and '.', starting with a letter or digit. Either: rename the queue (it must equal the Nautobot job queue's name), or separate several queues with commas or give a list" $name (toString .)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}


{{/*
The octal trap through extraVolumes: a values file may mount the client certificate itself (the site guide's
Step 5 does, with a volume named mtls-certs that replaces the chart's). Such a secret volume (named mtls-certs, or
reading mtls.secretName) must have defaultMode 256, and any per-item mode must be 256 too: Kubernetes reads modes
as decimal numbers, so 400 is octal 0620 and an unset defaultMode is 420 = 0644, and libpq refuses a private key
that group or others can access. arg: dict ctx path volumes
*/}}
{{- define "nautobot-worker.validateMtlsVolumes" -}}
{{- $secretName := toString .ctx.Values.mtls.secretName -}}
{{- $path := .path -}}
{{- if kindIs "slice" .volumes -}}
{{- range $index, $volume := .volumes -}}
{{- if and (kindIs "map" $volume) (kindIs "map" $volume.secret) -}}
{{- $secret := $volume.secret -}}
{{- if or (eq (toString $volume.name) "mtls-certs") (eq (toString $secret.secretName) $secretName) -}}
{{- $where := printf "%s[%d] (volume %q, secret %q)" $path $index (toString $volume.name) (toString $secret.secretName) -}}
{{- if not (hasKey $secret "defaultMode") -}}
{{- fail (printf "%s[%d].secret.defaultMode: required for the mTLS client certificate volume %s: without it Kubernetes uses 420 (octal 0644, world-readable) and libpq refuses the private key. Either: add defaultMode: 256 (decimal for octal 0400, owner read-only), or remove this entry and let mtls.enabled mount the secret with mtls.defaultMode: 256" $path $index $where) -}}
{{- end -}}
{{- if ne (toString $secret.defaultMode) "256" -}}
{{- fail (printf "%s[%d].secret.defaultMode: must be 256 (decimal for octal 0400, owner read-only) for the mTLS client certificate volume %s, got %v. Kubernetes reads defaultMode as a decimal number: 400 means octal 0620 (group-writable), which libpq refuses for a private key, and only an unquoted YAML 0400 is octal. Either: write defaultMode: 256, or remove this entry and let mtls.enabled mount the secret with mtls.defaultMode: 256" $path $index $where $secret.defaultMode) -}}
{{- end -}}
{{- range $itemIndex, $item := ($secret.items | default list) -}}
{{- if and (kindIs "map" $item) (hasKey $item "mode") (ne (toString $item.mode) "256") -}}
{{- fail (printf "%s[%d].secret.items[%d].mode: must be 256 (decimal for octal 0400) for the mTLS client certificate volume %s, got %v: a per-item mode overrides defaultMode, and 400 means octal 0620, which libpq refuses for a private key. Either: write mode: 256, or remove mode so defaultMode: 256 applies" $path $index $itemIndex $where $item.mode) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}


{{/*
Kubernetes name limits, checked on the names the templates really render (after fullname's own trunc 63), so a long
release, fullnameOverride or worker name stops the render with the value to change instead of an API-server
rejection at sync time (or, worse, a silently shortened name). The limit depends on the kind:
- <fullname>-<worker>: the celery worker's Deployment, PodDisruptionBudget and HorizontalPodAutoscaler. The API
  accepts a 253-character DNS subdomain, but Kubernetes documents DNS labels (63) for Deployments because the name
  prefixes every pod name and pod host name. It is not 63 minus the pod suffix: pods are named
  <deployment>-<pod-template-hash, up to 10>-<5 random>, and the API server cuts a generated name's prefix to 58
  characters, so pod names stay valid 63-character labels; past 46 characters only the hash is shortened.
- <fullname>-metrics: a Service name is an RFC 1035 DNS label (it becomes <name>.<namespace>.svc): the API server
  rejects more than 63 characters.
- A kubernetes worker's name is the label value understack.io/job-queue on its Jobs and pods: at most 63.
- Not checked: the job-queue ConfigMap (<fullname>-job-queues), config ConfigMap, ServiceAccounts and Role are DNS
  subdomains (253); with fullname capped at 63 they cannot exceed it. ServiceMonitor and PodMonitor use fullname.
arg: dict ctx workers celeryWorkers
*/}}
{{- define "nautobot-worker.validateNames" -}}
{{- $v := .ctx.Values -}}
{{- $fullname := include "nautobot-worker.fullname" .ctx -}}
{{- $prefix := ternary (printf "fullnameOverride (%q)" (toString $v.fullnameOverride)) (printf "the release name %q (plus the chart name unless the release name contains it)" .ctx.Release.Name) (not (empty $v.fullnameOverride)) -}}
{{- range $name, $spec := .workers -}}
{{- if eq $spec.type "celery" -}}
{{- $resource := printf "%s-%s" $fullname $name -}}
{{- if gt (len $resource) 63 -}}
{{- $room := sub 62 (len $fullname) -}}
{{- fail (printf "workers.%s: the worker's Deployment, PodDisruptionBudget and HorizontalPodAutoscaler would be named %q, %d characters, over the 63-character limit. Kubernetes documents DNS labels (at most 63 characters) for Deployment names because the name prefixes every pod's name and host name (the pods add a ReplicaSet hash and a random suffix, which the API server fits into 63 by shortening the hash). The name is <fullname>-<worker>, and fullname %q comes from %s. Either: shorten the worker name to at most %d characters (rename workers.%s), set fullnameOverride to a shorter prefix (at most %d characters for this worker), or install with a shorter release name" $name $resource (len $resource) $fullname $prefix (max $room 0) $name (sub 62 (len $name))) -}}
{{- end -}}
{{- else if gt (len $name) 63 -}}
{{- fail (printf "workers.%s: the name is %d characters, but a kubernetes worker's name is the label value understack.io/job-queue on every Job and pod of its queue, and Kubernetes label values are at most 63 characters. Either: rename workers.%s to at most 63 characters (the Nautobot job queue must be renamed to match), or remove it" $name (len $name) $name) -}}
{{- end -}}
{{- end -}}
{{- if and $v.metrics.enabled .celeryWorkers -}}
{{- $service := printf "%s-metrics" $fullname -}}
{{- if gt (len $service) 63 -}}
{{- fail (printf "fullnameOverride: the metrics Service would be named %q, %d characters, but a Service name is an RFC 1035 DNS label (it becomes %s.<namespace>.svc), which the API server rejects beyond 63 characters. The name is <fullname>-metrics, and fullname %q comes from %s. Either: set fullnameOverride to at most 55 characters, install with a shorter release name, or set metrics.enabled: false" $service (len $service) $service $fullname $prefix) -}}
{{- end -}}
{{- end -}}
{{- end -}}


{{/*
The affinity presets of one celery worker. A value may come from celery.* or workers.<name>.*, so the message names
the one that set it. arg: dict ctx name spec
*/}}
{{- define "nautobot-worker.validateAffinityPresets" -}}
{{- $worker := get .ctx.Values.workers .name | default dict -}}
{{- $spec := .spec -}}
{{- range $key := list "podAffinityPreset" "podAntiAffinityPreset" -}}
{{- $value := toString (get $spec $key | default "") -}}
{{- if not (has $value (list "" "soft" "hard")) -}}
{{- $path := ternary (printf "workers.%s.%s" $.name $key) (printf "celery.%s" $key) (hasKey $worker $key) -}}
{{- fail (printf "%s: must be \"\", \"soft\" or \"hard\", got %q (worker %s). Either: set soft (a preferred term of weight 1: the scheduler follows it when it can), hard (a required term: pods that cannot be placed so stay Pending), or \"\" for none; an explicit affinity replaces the presets" $path $value $.name) -}}
{{- end -}}
{{- end -}}
{{- $node := $spec.nodeAffinityPreset | default dict -}}
{{- $nodeWorker := get $worker "nodeAffinityPreset" | default dict -}}
{{- $nodeType := toString ($node.type | default "") -}}
{{- $typePath := ternary (printf "workers.%s.nodeAffinityPreset" .name) "celery.nodeAffinityPreset" (hasKey $nodeWorker "type") -}}
{{- if not (has $nodeType (list "" "soft" "hard")) -}}
{{- fail (printf "%s.type: must be \"\", \"soft\" or \"hard\", got %q (worker %s). Either: set soft (prefer nodes whose label key is one of values), hard (require them: no matching node leaves pods Pending), or \"\" for none" $typePath $nodeType .name) -}}
{{- end -}}
{{- if and $nodeType (not $spec.affinity) -}}
{{- if not $node.key -}}
{{- $path := ternary (printf "workers.%s.nodeAffinityPreset" .name) "celery.nodeAffinityPreset" (or (hasKey $nodeWorker "key") (hasKey $nodeWorker "type")) -}}
{{- fail (printf "%s.key: required when nodeAffinityPreset.type is %q (worker %s): the preset matches nodes by this label. Either: set key (e.g. node-role.kubernetes.io/worker or topology.kubernetes.io/zone) and values, or set type: \"\"" $path $nodeType .name) -}}
{{- end -}}
{{- if not $node.values -}}
{{- $path := ternary (printf "workers.%s.nodeAffinityPreset" .name) "celery.nodeAffinityPreset" (or (hasKey $nodeWorker "values") (hasKey $nodeWorker "type")) -}}
{{- fail (printf "%s.values: must list at least one value when nodeAffinityPreset.type is %q (worker %s): the preset matches nodes whose label %s is one of them, and Kubernetes rejects an In expression without values. Either: list the label values, or set type: \"\"" $path $nodeType .name (toString $node.key)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
