locals {
  # wrangler.toml is the one place the Worker's name and compatibility date are written;
  # reading them here keeps `wrangler dev` and production on the same runtime semantics.
  wrangler           = file("${path.module}/../../wrangler.toml")
  script_name        = regex("(?m)^name\\s*=\\s*\"([^\"]+)\"", local.wrangler)[0]
  compatibility_date = regex("(?m)^compatibility_date\\s*=\\s*\"([^\"]+)\"", local.wrangler)[0]

  # Binding names are the edge code's contract; keep them equal to wrangler.toml's.
  rate_limiter_class = "RateLimiter"
  metrics_class      = "EdgeMetrics"

  # wrangler.toml's top-level [vars] (the settings the Worker reads), so dev and production read
  # the same names and defaults; CORE_ORIGIN is this root's own variable.
  wrangler_vars_section = regex("(?s)\\n\\[vars\\]\\n(.*?)\\n\\[", local.wrangler)[0]
  wrangler_vars = {
    for m in regexall("(?m)^([A-Z][A-Z0-9_]*)\\s*=\\s*\"([^\"]*)\"", local.wrangler_vars_section) : m[0] => m[1]
    if m[0] != "CORE_ORIGIN"
  }

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

resource "cloudflare_workers_script" "edge" {
  account_id         = var.cloudflare_account_id
  script_name        = local.script_name
  main_module        = basename(var.worker_bundle)
  content_file       = var.worker_bundle
  content_sha256     = filesha256(var.worker_bundle) # a new bundle is what triggers an upload
  compatibility_date = local.compatibility_date

  bindings = concat(
    [
      {
        type = "plain_text"
        name = "CORE_ORIGIN"
        text = var.core_origin
      },
      {
        # The Durable Object namespaces are created by the migration below, not by resources of
        # their own: Cloudflare has no standalone DO namespace API.
        type       = "durable_object_namespace"
        name       = "RATE_LIMITER"
        class_name = local.rate_limiter_class
      },
      {
        type       = "durable_object_namespace"
        name       = "EDGE_METRICS"
        class_name = local.metrics_class
      },
      {
        type = "secret_text"
        name = "EDGE_TRUST_SECRET"
        text = var.edge_trust_secret
      },
      {
        type = "secret_text"
        name = "EDGE_METRICS_TOKEN"
        text = var.edge_metrics_token
      },
    ],
    [for name, value in local.wrangler_vars : { type = "plain_text", name = name, text = value }],
  )

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
