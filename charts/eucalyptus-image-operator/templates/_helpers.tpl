{{/* Chart name, truncated to a DNS label. */}}
{{- define "eio.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-<chart> unless the release name already holds the chart name, or fullnameOverride. */}}
{{- define "eio.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of cluster-scoped objects: qualified by the namespace so installs in several namespaces never collide. */}}
{{- define "eio.clusterName" -}}
{{- printf "%s-%s" (include "eio.fullname" .) .Release.Namespace | trunc 253 | trimSuffix "-" }}
{{- end }}

{{- define "eio.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "eio.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "eio.selectorLabels" -}}
app.kubernetes.io/name: {{ include "eio.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "eio.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "eio.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: eucalyptus-image-operator
{{- end }}

{{/* Leader election: explicit, or on whenever more than one replica runs. */}}
{{- define "eio.leaderElect" -}}
{{- if eq .Values.leaderElection.mode "enabled" }}true
{{- else if eq .Values.leaderElection.mode "disabled" }}false
{{- else }}{{ gt (int .Values.replicaCount) 1 }}
{{- end }}
{{- end }}

{{/* Namespaces that get a Role when watchNamespaces is set: the listed ones plus the release namespace. */}}
{{- define "eio.roleNamespaces" -}}
{{- $all := append (.Values.watchNamespaces | default list) .Release.Namespace }}
{{- join "," (uniq $all) }}
{{- end }}

{{- define "eio.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The operator's permissions on its own kinds and on what it reads or writes for them: the single source for both
the ClusterRole (all namespaces) and the per-namespace Roles (watchNamespaces).
*/}}
{{- define "eio.rules" -}}
- apiGroups: ["imaging.eucalyptus.dev"]
  resources: ["imagecaptures", "instancebundles", "cloudprofiles", "imageschedules"]
  verbs: ["get", "list", "watch", "patch", "update"]
- apiGroups: ["imaging.eucalyptus.dev"]
  resources: ["imagecaptures/status", "instancebundles/status", "cloudprofiles/status", "imageschedules/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: ["imaging.eucalyptus.dev"]
  resources: ["imagecaptures/finalizers", "instancebundles/finalizers", "cloudprofiles/finalizers", "imageschedules/finalizers"]
  verbs: ["update"]
# ImageSchedules create the ImageCaptures of each run and delete the ones retention prunes.
- apiGroups: ["imaging.eucalyptus.dev"]
  resources: ["imagecaptures"]
  verbs: ["create", "delete"]
- apiGroups: ["", "events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
# Credentials Secrets are read one by one when a CloudProfile names them: no list or watch.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
{{- end }}

{{/* Name of a shard's Deployment (dict root, shard): the release's full name for the main shard. */}}
{{- define "eio.shardFullname" -}}
{{- if .shard }}
{{- printf "%s-shard-%s" (include "eio.fullname" .root) .shard }}
{{- else }}
{{- include "eio.fullname" .root }}
{{- end }}
{{- end }}

{{/* The pod label that tells one shard's pods from another's (dict root, shard). */}}
{{- define "eio.shardLabel" -}}
imaging.eucalyptus.dev/operator-shard: {{ .shard | default "main" | quote }}
{{- end }}

{{/*
Selector of a shard's Deployment and PodDisruptionBudget (dict root, shard). The main shard keeps the selector the
chart had before shards existed: a Deployment's selector cannot change, so `helm upgrade` from a single Deployment
needs no deletion. A named shard's pods carry another app.kubernetes.io/name (<name>-shard, as Flux names its shard
controllers' app label), so the main selector never matches them, and its shard label keeps the named shards apart.
*/}}
{{- define "eio.shardSelectorLabels" -}}
{{- if .shard -}}
app.kubernetes.io/name: {{ printf "%s-shard" (include "eio.name" .root | trunc 57 | trimSuffix "-") }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{ include "eio.shardLabel" . }}
{{- else -}}
{{ include "eio.selectorLabels" .root }}
{{- end }}
{{- end }}

{{/* Labels of a shard's pods (dict root, shard): its selector, its shard label, and the operator's part-of label. */}}
{{- define "eio.shardPodLabels" -}}
{{ include "eio.shardSelectorLabels" . }}
{{- if not .shard }}
{{ include "eio.shardLabel" . }}
{{- end }}
app.kubernetes.io/part-of: eucalyptus-image-operator
{{- end }}

{{/* What every operator pod of the release has, whatever its shard: the metrics Service selects on it. */}}
{{- define "eio.operatorPodsSelector" -}}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: eucalyptus-image-operator
{{- end }}

{{/* Secret with the key the operator signs create checkpoints with (made by the operator on its first start). */}}
{{- define "eio.checkpointKeySecret" -}}
{{- printf "%s-checkpoint-key" (include "eio.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
