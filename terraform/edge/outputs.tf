output "script_name" {
  description = "The Worker's name (from wrangler.toml)."
  value       = cloudflare_workers_script.edge.script_name
}

output "public_cache_namespace_id" {
  description = "KV namespace id of the public-read cache (for `wrangler kv` commands against production)."
  value       = cloudflare_workers_kv_namespace.public_cache.id
}

output "routes" {
  description = "Route patterns that run the Worker, by zone."
  value       = { for zone_name, zone in var.zones : zone_name => zone.patterns }
}
