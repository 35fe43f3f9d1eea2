{{/* Chart name, truncated for label values. */}}
{{- define "portcullis.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-scoped name of every object; also the Service name clients and certificates use. */}}
{{- define "portcullis.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "portcullis.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "portcullis.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "portcullis.selectorLabels" -}}
app.kubernetes.io/name: {{ include "portcullis.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "portcullis.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "portcullis.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "portcullis.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "portcullis.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image, always by digest: a tag alone could move after the image was checked. */}}
{{- define "portcullis.image" -}}
{{- $digest := required "image.digest is required: portcullis is deployed by digest (sha256:...)" .Values.image.digest }}
{{- if not (regexMatch "^sha256:[a-f0-9]{64}$" $digest) }}
{{- fail (printf "image.digest must be sha256:<64 hex digits>, got %q" $digest) }}
{{- end }}
{{- if .Values.image.tag }}
{{- printf "%s:%s@%s" .Values.image.repository .Values.image.tag $digest }}
{{- else }}
{{- printf "%s@%s" .Values.image.repository $digest }}
{{- end }}
{{- end }}

{{/* The DNS names in-cluster clients use for the Service. */}}
{{- define "portcullis.serviceNames" -}}
{{- $svc := include "portcullis.fullname" . -}}
{{- $ns := .Release.Namespace -}}
{{- list (printf "%s.%s.svc" $svc $ns) $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) | toJson }}
{{- end }}

{{/* Every name the serving certificate must cover: the Service's and the Ingress hosts. */}}
{{- define "portcullis.certificateNames" -}}
{{- $names := include "portcullis.serviceNames" . | fromJsonArray -}}
{{- if .Values.ingress.enabled }}
{{- $names = concat $names .Values.ingress.hosts }}
{{- end }}
{{- $names | uniq | toJson }}
{{- end }}

{{- define "portcullis.tlsSecretName" -}}
{{- if .Values.tls.certManager.enabled }}
{{- printf "%s-tls" (include "portcullis.fullname" .) }}
{{- else }}
{{- .Values.tls.existingSecret }}
{{- end }}
{{- end }}

{{- define "portcullis.scheme" -}}
{{- if .Values.tls.enabled }}HTTPS{{ else }}HTTP{{ end }}
{{- end }}

{{- define "portcullis.providerUrl" -}}
{{- printf "https://%s.%s.svc:%d/v1/gatekeeper/provider" (include "portcullis.fullname" .) .Release.Namespace (int .Values.service.port) }}
{{- end }}

{{/* Checks that combine several values; values.schema.json checks each value alone. */}}
{{- define "portcullis.validate" -}}
{{- if and (gt (int .Values.replicaCount) 1) (ne .Values.store.driver "postgres") }}
{{- fail "replicaCount > 1 needs store.driver postgres: each replica would keep its own SQLite file, and a scan uploaded to one would be unknown to the others" }}
{{- end }}
{{- if and .Values.tls.enabled (not .Values.tls.certManager.enabled) (not .Values.tls.existingSecret) }}
{{- fail "tls.enabled needs tls.existingSecret (see `portcullis certs`) or tls.certManager.enabled" }}
{{- end }}
{{- if and .Values.tls.certManager.enabled .Values.tls.clientAuth.enabled (not .Values.tls.clientAuth.existingSecret) }}
{{- fail "tls.clientAuth with cert-manager needs tls.clientAuth.existingSecret: the certificate's Secret holds no client CA" }}
{{- end }}
{{- if and .Values.tls.certManager.enabled (not .Values.tls.certManager.issuerRef.name) }}
{{- fail "tls.certManager.enabled needs tls.certManager.issuerRef.name" }}
{{- end }}
{{- if and (or .Values.admission.webhook.enabled .Values.gatekeeper.provider.enabled) (not .Values.tls.enabled) }}
{{- fail "the admission webhook and the Gatekeeper provider are only called over TLS: set tls.enabled" }}
{{- end }}
{{- if and .Values.admission.webhook.enabled (not .Values.admission.webhook.caBundle) (not .Values.tls.certManager.enabled) }}
{{- fail "admission.webhook.enabled needs admission.webhook.caBundle (base64 of ca.crt) or tls.certManager.enabled" }}
{{- end }}
{{- if and .Values.gatekeeper.provider.enabled (not .Values.gatekeeper.provider.caBundle) }}
{{- fail "gatekeeper.provider.enabled needs gatekeeper.provider.caBundle (base64 of ca.crt)" }}
{{- end }}
{{- if and (eq .Values.bundles.source "configMap") (not .Values.bundles.configMap.name) }}
{{- fail "bundles.source configMap needs bundles.configMap.name" }}
{{- end }}
{{- if and (eq .Values.bundles.source "volume") (not .Values.bundles.volume) }}
{{- fail "bundles.source volume needs bundles.volume (a volume source)" }}
{{- end }}
{{- if and (eq .Values.bundles.source "oci") (or (not .Values.bundles.oci.repository) (not .Values.bundles.oci.tags)) }}
{{- fail "bundles.source oci needs bundles.oci.repository and bundles.oci.tags" }}
{{- end }}
{{- if and .Values.keys.trusted (not .Values.keys.existingSecret) }}
{{- fail "keys.trusted needs keys.existingSecret, the Secret holding the key files" }}
{{- end }}
{{- if and .Values.ingress.enabled (not .Values.ingress.hosts) }}
{{- fail "ingress.enabled needs ingress.hosts" }}
{{- end }}
{{- if and .Values.inventory.webhook.url (not .Values.inventory.webhook.secretName) }}
{{- fail "inventory.webhook.url needs inventory.webhook.secretName, the Secret holding the key its deliveries are signed with" }}
{{- end }}
{{- end }}
