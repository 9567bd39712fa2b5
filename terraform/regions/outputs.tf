output "region" {
  value = terraform.workspace
}

output "namespace" {
  value = one([for m in module.core : m.namespace])
}

output "service" {
  description = "In-cluster address of core in this region."
  value       = one([for m in module.core : m.service])
}

output "ingress_hosts" {
  value = one([for m in module.core : m.ingress_hosts])
}

output "rollout_order" {
  description = "Every region in the order a new image should reach them."
  value       = module.plan.order
}

output "canary" {
  description = "This region's canary ({image, weight, replicas}) or null."
  value       = local.region == null ? null : local.region.canary
}
