{{/* Labels every object of the stand-in carries. */}}
{{- define "nautobot.labels" -}}
app.kubernetes.io/name: nautobot
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}

{{/* Environment shared by web and Celery pods: database, Redis and Django secret, as the upstream chart sets them. */}}
{{- define "nautobot.env" -}}
- name: NAUTOBOT_CONFIG
  value: /opt/nautobot/nautobot_config.py
- name: NAUTOBOT_DB_ENGINE
  value: {{ .Values.nautobot.db.engine | quote }}
- name: NAUTOBOT_DB_HOST
  value: {{ .Values.nautobot.db.host | quote }}
- name: NAUTOBOT_DB_PORT
  value: {{ .Values.nautobot.db.port | quote }}
- name: NAUTOBOT_DB_NAME
  value: {{ .Values.nautobot.db.name | quote }}
- name: NAUTOBOT_DB_USER
  value: {{ .Values.nautobot.db.user | quote }}
{{- with .Values.nautobot.db.existingSecret }}
- name: NAUTOBOT_DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.nautobot.db.existingSecretPasswordKey }}
{{- end }}
- name: NAUTOBOT_REDIS_HOST
  value: {{ .Values.nautobot.redis.host | default (printf "%s-redis-master" .Release.Name) | quote }}
- name: NAUTOBOT_REDIS_PORT
  value: {{ .Values.nautobot.redis.port | quote }}
- name: NAUTOBOT_REDIS_SSL
  value: {{ .Values.nautobot.redis.ssl | quote }}
{{- with .Values.nautobot.redis.existingSecret }}
- name: NAUTOBOT_REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.nautobot.redis.existingSecretPasswordKey }}
{{- end }}
{{- with .Values.nautobot.django.existingSecret }}
- name: NAUTOBOT_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.nautobot.django.existingSecretSecretKeyKey }}
{{- end }}
{{- end }}

{{/* One Nautobot Deployment; args: dict root component name replicas extraEnvVars extraVolumes extraVolumeMounts command */}}
{{- define "nautobot.deployment" -}}
{{- $ := .root -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .name }}
  labels:
    {{- include "nautobot.labels" $ | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  replicas: {{ .replicas }}
  selector:
    matchLabels:
      app.kubernetes.io/instance: {{ $.Release.Name }}
      app.kubernetes.io/component: {{ .component }}
  template:
    metadata:
      labels:
        {{- include "nautobot.labels" $ | nindent 8 }}
        app.kubernetes.io/component: {{ .component }}
    spec:
      {{- with $.Values.nautobot.image.pullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: "{{ $.Values.nautobot.image.registry }}/{{ $.Values.nautobot.image.repository }}:{{ $.Values.nautobot.image.tag }}"
          command: {{ toJson .command }}
          env:
            {{- include "nautobot.env" $ | nindent 12 }}
            {{- with .extraEnvVars }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- if or $.Values.nautobot.config .extraVolumeMounts }}
          volumeMounts:
            {{- if $.Values.nautobot.config }}
            - name: nautobot-config
              mountPath: /opt/nautobot/nautobot_config.py
              subPath: nautobot_config.py
              readOnly: true
            {{- end }}
            {{- with .extraVolumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- end }}
      {{- if or $.Values.nautobot.config .extraVolumes }}
      volumes:
        {{- if $.Values.nautobot.config }}
        - name: nautobot-config
          configMap:
            name: {{ $.Release.Name }}-config
        {{- end }}
        {{- with .extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
{{- end }}
