output "regions" {
  description = "Each region's settings by name, with `canary` = {image, weight, replicas} or null."
  value       = local.regions

  precondition {
    condition     = var.canary_image != var.core_image
    error_message = "canary_image is the image already running everywhere; set core_image to promote it and canary_image to null."
  }
}

output "order" {
  description = "Region names in rollout order."
  value       = [for r in var.regions : r.name]
}

output "canary_regions" {
  description = "Regions sending part of their traffic to canary_image, in rollout order, with their weights."
  value       = [for r in var.regions : { name = r.name, weight = r.canary_weight } if local.canary_on && r.canary_weight > 0]
}
