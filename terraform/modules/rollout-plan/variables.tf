variable "regions" {
  description = <<-EOT
    Every region core runs in, in rollout order (a new image reaches them first to last).
    Only name and kube_context are required; the rest default to the architecture guide's values.
      name             the workspace that manages the region (terraform workspace select <name>)
      canary_weight    percent of the region's traffic (0-100) sent to canary_image while one is set
      canary_replicas  pods of the canary Deployment (fixed, no autoscaling)
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
  type = list(object({
    name                  = string
    canary_weight         = optional(number, 0)
    canary_replicas       = optional(number, 1)
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
    condition     = length(var.regions) > 0 && length(distinct([for r in var.regions : r.name])) == length(var.regions)
    error_message = "List each region once, by a unique name: the name is the workspace that manages it."
  }
  validation {
    condition     = alltrue([for r in var.regions : r.canary_weight >= 0 && r.canary_weight <= 100 && floor(r.canary_weight) == r.canary_weight])
    error_message = "canary_weight is a whole percent from 0 to 100."
  }
  validation {
    condition     = alltrue([for r in var.regions : r.canary_replicas >= 1])
    error_message = "canary_replicas must be at least 1."
  }
  validation {
    condition     = alltrue([for r in var.regions : r.min_replicas >= 2 && r.min_replicas <= r.max_replicas])
    error_message = "Each region needs 2 <= min_replicas <= max_replicas: one pod cannot survive a node drain under the PodDisruptionBudget."
  }
}

variable "core_image" {
  description = "The stable core image every region runs (pinned)."
  type        = string

  validation {
    condition     = !endswith(var.core_image, ":latest") && can(regex("[:@]", var.core_image))
    error_message = "Pin core_image to a tag or digest: `latest` makes a rollback impossible to express."
  }
}

variable "canary_image" {
  description = "The core image being canaried, or null for no canary anywhere."
  type        = string
  default     = null

  validation {
    condition     = var.canary_image == null || (!endswith(coalesce(var.canary_image, "x:latest"), ":latest") && can(regex("[:@]", coalesce(var.canary_image, "-"))))
    error_message = "Pin canary_image to a tag or digest, or leave it null."
  }
}
