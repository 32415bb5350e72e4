{{- define "borealis.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "borealis.labels" -}}
app.kubernetes.io/name: borealis-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: borealis
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "borealis.selectorLabels" -}}
app.kubernetes.io/name: borealis-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "borealis.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "borealis.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The rules the operator needs on the objects it manages (least privilege; no pods, no deletes of CRs). */}}
{{- define "borealis.managedRules" -}}
- apiGroups: ["borealis.dev"]
  resources: ["globaldatabases", "failoverdrills"]
  verbs: ["get", "list", "watch", "patch", "update"]
- apiGroups: ["borealis.dev"]
  resources: ["globaldatabases/status", "failoverdrills/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: ["borealis.dev"]
  resources: ["globaldatabases/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["services", "configmaps", "secrets"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
- apiGroups: ["apps"]
  resources: ["statefulsets"]
  verbs: ["get", "list", "watch", "create", "patch", "update", "delete"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end -}}
