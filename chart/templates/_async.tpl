{{/* The name of the chart's NATS objects. */}}
{{- define "faas-wasm.natsName" -}}
{{- printf "%s-nats" (include "faas-wasm.fullname" .) -}}
{{- end -}}

{{/* Selector labels of the NATS pod. */}}
{{- define "faas-wasm.natsSelector" -}}
app.kubernetes.io/name: faas-wasm
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: nats
{{- end -}}

{{/* The provider's --nats-url: nats.url, else the chart's NATS Service (its nats.clusterIP when
fixed, for clusters without DNS). Asynchronous invocations with no NATS at all are refused. */}}
{{- define "faas-wasm.natsURL" -}}
{{- if .Values.nats.url -}}
{{- .Values.nats.url -}}
{{- else if and .Values.nats.create .Values.nats.clusterIP -}}
{{- printf "nats://%s:4222" .Values.nats.clusterIP -}}
{{- else if .Values.nats.create -}}
{{- printf "nats://%s.%s.svc:4222" (include "faas-wasm.natsName" .) .Release.Namespace -}}
{{- else -}}
{{- fail "async.enabled needs a NATS server with JetStream: set nats.create=true or nats.url to an existing one" -}}
{{- end -}}
{{- end -}}

{{/* The provider's asynchronous invocation flags (a list of container args). */}}
{{- define "faas-wasm.asyncArgs" -}}
{{- $a := .Values.async -}}
{{- if $a.enabled -}}
- --async=true
- --nats-url={{ include "faas-wasm.natsURL" . }}
- --async-queue-max={{ int64 $a.queueMax }}
- --async-queue-max-bytes={{ int64 $a.queueMaxBytes }}
- --async-concurrency={{ $a.concurrency }}
- --async-max-attempts={{ $a.maxAttempts }}
- --async-callback-attempts={{ $a.callbackAttempts }}
- --async-backoff={{ $a.backoff }}
- --async-max-backoff={{ $a.maxBackoff }}
- --async-ack-wait={{ $a.ackWait }}
{{- else -}}
- --async=false
{{- end -}}
{{- end -}}
