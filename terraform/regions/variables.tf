variable "regions" {
  description = <<-EOT
    Every region core runs in, as a list in rollout order, each with a canary weight: see
    modules/rollout-plan/variables.tf for the fields and their defaults (only name and
    kube_context are required). Typed and validated there, so this root and the module's
    offline tests (`terraform test` in modules/rollout-plan) check one definition.
  EOT
  type        = any
}

variable "canary_image" {
  description = "A core image to canary (pinned), sent each region's canary_weight percent of its traffic; null for none."
  type        = string
  default     = null
}

variable "core_image" {
  description = "core image built from core/Dockerfile, e.g. ghcr.io/tcc-log/core:1.4.0 (pin a tag or digest, never latest; modules/rollout-plan checks it)."
  type        = string
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
