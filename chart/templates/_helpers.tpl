{{/* The base name of the release's objects: the release name when it already says faas-wasm. */}}
{{- define "faas-wasm.fullname" -}}
{{- if contains "faas-wasm" .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-faas-wasm" .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "faas-wasm.labels" -}}
app.kubernetes.io/name: faas-wasm
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of the gateway/provider pods. */}}
{{- define "faas-wasm.selector" -}}
app.kubernetes.io/name: faas-wasm
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: provider
{{- end -}}

{{/* Selector labels of the node-installer pods. */}}
{{- define "faas-wasm.installerSelector" -}}
app.kubernetes.io/name: faas-wasm
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: node-installer
{{- end -}}

{{/* Every function namespace, the default one first, without duplicates. */}}
{{- define "faas-wasm.functionNamespaces" -}}
{{- prepend .Values.extraFunctionNamespaces .Values.functionNamespace | uniq | toJson -}}
{{- end -}}
