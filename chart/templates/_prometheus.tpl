{{/* The name of the chart's Prometheus objects. */}}
{{- define "faas-wasm.prometheusName" -}}
{{- printf "%s-prometheus" (include "faas-wasm.fullname" .) -}}
{{- end -}}

{{/* The gateway's faas_prometheus_host: prometheus.host, else the chart's Prometheus Service. A
gateway with no Prometheus at all is refused: its /system/functions would wait on a name that does
not resolve and then fail. */}}
{{- define "faas-wasm.prometheusHost" -}}
{{- $pr := .Values.prometheus -}}
{{- if $pr.host -}}
{{- $pr.host -}}
{{- else if $pr.create -}}
{{- include "faas-wasm.prometheusName" . -}}
{{- else -}}
{{- fail "gateway.enabled needs a Prometheus: set prometheus.create=true or prometheus.host to an existing one (the gateway reads invocation counts from it)" -}}
{{- end -}}
{{- end -}}

{{/* Selector labels of the Prometheus pod. */}}
{{- define "faas-wasm.prometheusSelector" -}}
app.kubernetes.io/name: faas-wasm
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: prometheus
{{- end -}}
