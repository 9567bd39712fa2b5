variable "regions" {
  description = <<-EOT
    Every region core runs in, keyed by the workspace name that manages it. Only
    kube_context is required; the rest default to the architecture guide's values.
      kube_context     context in kubeconfig_path that reaches the region's cluster
      min_replicas     HPA floor (guide: 3)
      max_replicas     HPA ceiling (guide: 20)
      database_secret  Secret holding `url` (primary) and `replica-urls` (this region's replicas)
      app_secret       Secret holding REDIS_URL, JWT_PRIVATE_KEY, JWT_KEY_ID
      ingress_hosts    hostnames this region's ingress answers (certificate included)
      ingress_source_ranges  CIDRs allowed to reach the ingress (Cloudflare's ranges)
      env              extra non-secret core settings (core/src/env.ts), e.g. DB_POOL_MAX
      prometheus_operator  true where kube-prometheus-stack runs: adds PodMonitor + rules
      lmstudio_nodes   this region's LM Studio GPU nodes (url, maxConcurrent, models)
      ai_gateway_replicas, ai_gateway_secret (REDIS_URL, AI_GATEWAY_TOKEN), ai_gateway_env
  EOT
  type = map(object({
    kube_context          = string
    kubeconfig_path       = optional(string, "~/.kube/config")
    min_replicas          = optional(number, 3)
    max_replicas          = optional(number, 20)
    database_secret       = optional(string, "db-secret")
    app_secret            = optional(string, "tcc-core-secrets")
    ingress_hosts         = optional(list(string), ["api.tcclog.com"])
    ingress_source_ranges = optional(list(string), [])
    env                   = optional(map(string), {})
    prometheus_operator   = optional(bool, false)
    lmstudio_nodes = optional(list(object({
      url           = string
      maxConcurrent = optional(number, 4)
      models        = optional(list(string))
    })), [])
    ai_gateway_replicas = optional(number, 2)
    ai_gateway_secret   = optional(string, "tcc-ai-gateway-secrets")
    ai_gateway_env      = optional(map(string), {})
  }))

  validation {
    condition     = alltrue([for r in values(var.regions) : r.min_replicas >= 2 && r.min_replicas <= r.max_replicas])
    error_message = "Each region needs 2 <= min_replicas <= max_replicas: one pod cannot survive a node drain under the PodDisruptionBudget."
  }
}

variable "core_image" {
  description = "core image built from core/Dockerfile, e.g. ghcr.io/tcc-log/core:1.4.0 (pin a tag or digest, never latest)."
  type        = string

  validation {
    condition     = !endswith(var.core_image, ":latest") && can(regex("[:@]", var.core_image))
    error_message = "Pin core_image to a tag or digest: `latest` makes a rollback impossible to express."
  }
}

variable "public_url" {
  description = "The API's public origin (PUBLIC_URL), the same in every region: clients never see regional hosts."
  type        = string
  default     = "https://api.tcclog.com"
}

variable "ai_gateway_image" {
  description = "ai-gateway image built from ai-gateway/Dockerfile (pin a tag or digest)."
  type        = string

  validation {
    condition     = !endswith(var.ai_gateway_image, ":latest") && can(regex("[:@]", var.ai_gateway_image))
    error_message = "Pin ai_gateway_image to a tag or digest."
  }
}
