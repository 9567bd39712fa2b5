variable "region" {
  type = string
}

variable "namespace" {
  description = "The namespace core's module created; the gateway lives beside core."
  type        = string
}

variable "name" {
  type    = string
  default = "tcc-ai-gateway"
}

variable "image" {
  description = "ai-gateway image (built from ai-gateway/Dockerfile), pinned by tag or digest."
  type        = string
}

variable "replicas" {
  description = "Fixed count: throughput is bounded by the GPU nodes, not by gateway CPU. Two or more for availability; slots are shared through Redis, so replicas never overload a node together."
  type        = number
  default     = 2
}

variable "lmstudio_nodes" {
  description = "This region's LM Studio nodes: url, maxConcurrent (= LM Studio's max concurrent predictions), optional models."
  type = list(object({
    url           = string
    maxConcurrent = optional(number, 4)
    models        = optional(list(string))
  }))
}

variable "app_secret" {
  description = "Secret holding REDIS_URL and AI_GATEWAY_TOKEN (the same token core sends)."
  type        = string
  default     = "tcc-ai-gateway-secrets"
}

variable "env" {
  description = "Extra gateway settings (ai-gateway/src/env.ts), e.g. AI_DAILY_TOKEN_QUOTA."
  type        = map(string)
  default     = {}
}

variable "resources" {
  type = object({
    requests = map(string)
    limits   = map(string)
  })
  default = {
    requests = { cpu = "250m", memory = "256Mi" }
    limits   = { cpu = "1", memory = "512Mi" }
  }
}
