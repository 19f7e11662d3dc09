{{/*
The Kubernetes Job manifest Nautobot submits for a job queue of type kubernetes. Nautobot replaces
metadata.name and containers[0].command (nautobot-server runjob_with_job_result ...); everything else comes from here:
the same image, environment, nautobot_config.py and mTLS mount as the celery workers, because the job pod talks to
the same database through the same gateway. arg: dict ctx name spec
*/}}
{{- define "nautobot-worker.jobManifest" -}}
{{- $v := .ctx.Values -}}
{{- $spec := .spec -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: nautobot-job
  labels:
    {{- include "nautobot-worker.selectorLabels" .ctx | nindent 4 }}
    app.kubernetes.io/component: nautobot-job
    understack.io/job-queue: {{ .name }}
spec:
  ttlSecondsAfterFinished: {{ $spec.ttlSecondsAfterFinished | int }}
  backoffLimit: {{ $spec.backoffLimit | int }}
  {{- if $spec.activeDeadlineSeconds }}
  activeDeadlineSeconds: {{ $spec.activeDeadlineSeconds | int }}
  {{- end }}
  template:
    metadata:
      labels:
        {{- include "nautobot-worker.selectorLabels" .ctx | nindent 8 }}
        app.kubernetes.io/component: nautobot-job
        understack.io/job-queue: {{ .name }}
        {{- with $spec.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $spec.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      restartPolicy: Never
      {{- if $spec.serviceAccountName }}
      serviceAccountName: {{ $spec.serviceAccountName }}
      automountServiceAccountToken: false
      {{- else if $v.kubernetesJobs.serviceAccount.create }}
      serviceAccountName: {{ include "nautobot-worker.jobServiceAccountName" .ctx }}
      automountServiceAccountToken: false
      {{- else }}
      # The worker ServiceAccount: a job may create further jobs (job chaining).
      serviceAccountName: {{ include "nautobot-worker.serviceAccountName" .ctx }}
      automountServiceAccountToken: true
      {{- end }}
      {{- with $v.nautobot.image.pullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      {{- with (include "nautobot-worker.securityContext" $spec.podSecurityContext) }}
      securityContext:
        {{- . | nindent 8 }}
      {{- end }}
      {{- with $spec.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      {{- with $spec.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $spec.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $spec.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- /* The job pod resolves the same gateway host names as the celery workers. */}}
      {{- with ($spec.hostAliases | default $v.celery.hostAliases) }}
      hostAliases:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with (include "nautobot-worker.trustBundleInitContainer" (dict "ctx" .ctx "spec" $spec)) }}
      initContainers:
        {{- . | nindent 8 }}
      {{- end }}
      containers:
        - name: nautobot-job
          image: {{ include "nautobot-worker.image" .ctx }}
          imagePullPolicy: {{ $v.nautobot.image.pullPolicy }}
          env:
            {{- include "nautobot-worker.env" (dict "ctx" .ctx "spec" $spec) | nindent 12 }}
          envFrom:
            {{- include "nautobot-worker.envFrom" (dict "ctx" .ctx "spec" $spec) | nindent 12 }}
          {{- with $spec.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with (include "nautobot-worker.securityContext" $spec.containerSecurityContext) }}
          securityContext:
            {{- . | nindent 12 }}
          {{- end }}
          volumeMounts:
            {{- include "nautobot-worker.volumeMounts" (dict "ctx" .ctx "spec" $spec) | nindent 12 }}
      volumes:
        {{- include "nautobot-worker.volumes" (dict "ctx" .ctx "spec" $spec) | nindent 8 }}
{{- end -}}
