{{/* Labels every object of the release carries. */}}
{{- define "airlock.labels" -}}
app.kubernetes.io/name: airlock
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: airlock
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end }}

{{/* What selects the operator's pods: stable across upgrades (a Deployment's selector is immutable). */}}
{{- define "airlock.operatorSelector" -}}
app.kubernetes.io/name: airlock
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/* repository@digest when a digest is set, else repository:tag (tag defaults to the appVersion). */}}
{{- define "airlock.image" -}}
{{- if .image.digest -}}
{{ .image.repository }}@{{ .image.digest }}
{{- else -}}
{{ .image.repository }}:{{ .image.tag | default .appVersion }}
{{- end -}}
{{- end }}

{{/* The injected sidecar's image: its own fields where set, the operator image's otherwise. */}}
{{- define "airlock.sidecarImage" -}}
{{- $image := dict "repository" (.Values.sidecar.image.repository | default .Values.image.repository) "tag" (.Values.sidecar.image.tag | default .Values.image.tag) "digest" .Values.sidecar.image.digest -}}
{{- if and (not .Values.sidecar.image.repository) (not .Values.sidecar.image.tag) (not .Values.sidecar.image.digest) -}}
{{- $_ := set $image "digest" .Values.image.digest -}}
{{- end -}}
{{ include "airlock.image" (dict "image" $image "appVersion" .Chart.AppVersion) }}
{{- end }}

{{/* ReadWriteOnce recordings: every replica must run on the node that has the volume attached. */}}
{{- define "airlock.recordingsSharedAcrossNodes" -}}
{{- if or (not .Values.recordings.persistence.enabled) (has "ReadWriteMany" .Values.recordings.persistence.accessModes) -}}true{{- end -}}
{{- end }}

{{- define "airlock.recordingsClaim" -}}
{{- .Values.recordings.persistence.existingClaim | default (printf "%s-recordings" .Release.Name) -}}
{{- end }}
