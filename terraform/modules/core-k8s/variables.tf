# Object names default to the architecture guide's (k8s/*.yaml there), so its runbooks and
# kubectl commands apply as written.

variable "region" {
  description = "Region name; labels every object so one dashboard can split by region."
  type        = string
}

variable "namespace" {
  type    = string
  default = "tcc-prod"
}

variable "name" {
  description = "Deployment name and app label."
  type        = string
  default     = "tcc-backend"
}

variable "image" {
  description = "core image (built from core/Dockerfile), pinned by tag or digest."
  type        = string
}

variable "canary" {
  description = <<-EOT
    A canary of another core image beside the stable Deployment, or null: `replicas` pods of
    `image` (Deployment <name>-canary, its own Service) and an ingress-nginx canary Ingress
    sending `weight` percent of this region's requests to them. Set by the rollout plan
    (modules/rollout-plan) from the region's canary_weight and the root's canary_image.
  EOT
  type = object({
    image    = string
    weight   = number
    replicas = number
  })
  default = null
}

variable "min_replicas" {
  description = "HPA floor; also the Deployment's replica count at creation."
  type        = number
  default     = 3
}

variable "max_replicas" {
  type    = number
  default = 20
}

variable "cpu_target_percent" {
  description = "HPA target: average CPU as a percent of the request."
  type        = number
  default     = 70
}

variable "memory_target_percent" {
  type    = number
  default = 80
}

variable "resources" {
  description = "Container requests and limits (guide: 250m/512Mi requested, 500m/1Gi limit)."
  type = object({
    requests = map(string)
    limits   = map(string)
  })
  default = {
    requests = { cpu = "250m", memory = "512Mi" }
    limits   = { cpu = "500m", memory = "1Gi" }
  }
}

variable "database_secret" {
  description = "Secret with key `url` (DATABASE_URL, the primary) and optional `replica-urls` (DATABASE_REPLICA_URLS)."
  type        = string
  default     = "db-secret"
}

variable "app_secret" {
  description = "Secret loaded whole as env: REDIS_URL, JWT_PRIVATE_KEY, JWT_KEY_ID (and JWT_PREVIOUS_PUBLIC_KEYS during a rotation)."
  type        = string
  default     = "tcc-core-secrets"
}

variable "env" {
  description = "Non-secret settings (core/src/env.ts names), merged over the module's defaults."
  type        = map(string)
  default     = {}
}

variable "ingress_hosts" {
  type    = list(string)
  default = ["api.tcclog.com"]
}

variable "ingress_source_ranges" {
  description = <<-EOT
    CIDRs allowed to reach the ingress (Cloudflare's published ranges in production). core
    trusts CF-Connecting-IP / X-Forwarded-For (TRUST_PROXY), which is only safe when clients
    cannot reach the origin around Cloudflare. Empty allows everyone.
  EOT
  type        = list(string)
  default     = []
}

variable "ingress_class" {
  type    = string
  default = "nginx"
}

variable "cluster_issuer" {
  description = "cert-manager ClusterIssuer for the ingress certificate."
  type        = string
  default     = "letsencrypt-prod"
}

variable "tls_secret" {
  type    = string
  default = "tcc-tls"
}

variable "prometheus_rules" {
  description = <<-EOT
    Contents of deploy/prometheus/alerts.yml. When set, the module also creates a PodMonitor
    and a PrometheusRule for the Prometheus Operator (kube-prometheus-stack, as the guide
    installs it). Leave null on clusters without those CRDs: kubernetes_manifest needs them
    to exist at plan time.
  EOT
  type        = string
  default     = null
}

variable "prometheus_release_label" {
  description = "Label value kube-prometheus-stack selects rules and monitors by (its Helm release name)."
  type        = string
  default     = "prometheus"
}
