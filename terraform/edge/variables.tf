variable "cloudflare_account_id" {
  description = "Cloudflare account that owns the Worker and its Durable Objects."
  type        = string
}

variable "zones" {
  description = <<-EOT
    Zones the Worker serves, by zone name: the zone id and the route patterns in it.
    A request matching a pattern runs the Worker; everything else goes straight to the origin.
  EOT
  type = map(object({
    zone_id  = string
    patterns = list(string)
  }))
  default = {
    # Placeholder: replace zone_id with the real one (dashboard → zone overview).
    "tcclog.com" = {
      zone_id  = "00000000000000000000000000000000"
      patterns = ["api.tcclog.com/*", "tcclog.com/g/*"]
    }
  }
}

variable "core_origin" {
  description = <<-EOT
    Origin the Worker forwards to (CORE_ORIGIN). One hostname in front of every region's
    ingress (geo-steered DNS or a load balancer), so adding a region never touches the edge.
  EOT
  type        = string
  default     = "https://origin.tcclog.com"

  validation {
    condition     = can(regex("^https://", var.core_origin))
    error_message = "core_origin must be https: tokens and entries cross the internet on this hop."
  }
}

variable "worker_bundle" {
  description = "The built edge Worker (ES module), relative to terraform/edge. Produce it with: npm run build:edge (wrangler deploy --dry-run --outdir edge/dist)"
  type        = string
  default     = "../../edge/dist/index.js"
}

variable "durable_object_migration" {
  description = <<-EOT
    Durable Object migration sent with this upload, as in wrangler's [[migrations]].
    Cloudflare rejects an upload that repeats an applied tag without old_tag, so: first
    deploy with the default; afterwards set this to null (code-only deploys); to add or
    rename a class later, set old_tag to the live tag and new_tag to the next one.
  EOT
  type = object({
    old_tag            = optional(string)
    new_tag            = string
    new_sqlite_classes = optional(list(string), [])
    deleted_classes    = optional(list(string), [])
  })
  default = {
    new_tag            = "v1"
    new_sqlite_classes = ["RateLimiter", "EdgeMetrics"]
  }
  nullable = true
}

variable "edge_trust_secret" {
  description = "HMAC key of the edge → core trust header: the same value as core's EDGE_TRUST_SECRET (32+ characters)."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.edge_trust_secret) >= 32
    error_message = "edge_trust_secret must be at least 32 characters, like core's EDGE_TRUST_SECRET."
  }
}

variable "edge_metrics_token" {
  description = "Bearer token of the edge's /__edge/metrics (deploy/prometheus/edge-metrics-token holds the same)."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.edge_metrics_token) >= 16
    error_message = "edge_metrics_token must be at least 16 characters."
  }
}
