locals {
  # wrangler.toml is the one place the Worker's name and compatibility date are written;
  # reading them here keeps `wrangler dev` and production on the same runtime semantics.
  wrangler           = file("${path.module}/../../wrangler.toml")
  script_name        = regex("(?m)^name\\s*=\\s*\"([^\"]+)\"", local.wrangler)[0]
  compatibility_date = regex("(?m)^compatibility_date\\s*=\\s*\"([^\"]+)\"", local.wrangler)[0]

  # Binding names are the edge code's contract; keep them equal to wrangler.toml's.
  rate_limiter_class = "RateLimiter"

  # One route per (zone, pattern), keyed so that adding a pattern never replaces the others.
  routes = merge([
    for zone_name, zone in var.zones : {
      for pattern in zone.patterns : "${zone_name} ${pattern}" => {
        zone_id = zone.zone_id
        pattern = pattern
      }
    }
  ]...)
}

# Cache for public reads (gallery pages). Account-wide and eventually consistent, which is
# acceptable only because nothing in it is private or needs read-your-writes.
resource "cloudflare_workers_kv_namespace" "public_cache" {
  account_id = var.cloudflare_account_id
  title      = "${local.script_name}-public-cache"
}

resource "cloudflare_workers_script" "edge" {
  account_id         = var.cloudflare_account_id
  script_name        = local.script_name
  main_module        = basename(var.worker_bundle)
  content_file       = var.worker_bundle
  content_sha256     = filesha256(var.worker_bundle) # a new bundle is what triggers an upload
  compatibility_date = local.compatibility_date

  bindings = [
    {
      type = "plain_text"
      name = "CORE_ORIGIN"
      text = var.core_origin
    },
    {
      type         = "kv_namespace"
      name         = "PUBLIC_CACHE"
      namespace_id = cloudflare_workers_kv_namespace.public_cache.id
    },
    {
      # The Durable Object namespace for rate limits is created by the migration below,
      # not by a resource of its own: Cloudflare has no standalone DO namespace API.
      type       = "durable_object_namespace"
      name       = "RATE_LIMITER"
      class_name = local.rate_limiter_class
    },
  ]

  migrations = var.durable_object_migration == null ? null : {
    old_tag            = var.durable_object_migration.old_tag
    new_tag            = var.durable_object_migration.new_tag
    new_sqlite_classes = var.durable_object_migration.new_sqlite_classes
    deleted_classes    = var.durable_object_migration.deleted_classes
  }
}

resource "cloudflare_workers_route" "edge" {
  for_each = local.routes

  zone_id = each.value.zone_id
  pattern = each.value.pattern
  script  = cloudflare_workers_script.edge.script_name
}

# The Worker answers only on its routes: a *.workers.dev URL would bypass the zone's WAF and
# the origin's expectations about which hostname traffic arrives on.
resource "cloudflare_workers_script_subdomain" "edge" {
  account_id       = var.cloudflare_account_id
  script_name      = cloudflare_workers_script.edge.script_name
  enabled          = false
  previews_enabled = false
}
