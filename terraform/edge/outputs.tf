output "script_name" {
  description = "The Worker's name (from wrangler.toml)."
  value       = cloudflare_workers_script.edge.script_name
}

output "routes" {
  description = "Route patterns that run the Worker, by zone."
  value       = { for zone_name, zone in var.zones : zone_name => zone.patterns }
}
