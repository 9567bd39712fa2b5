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
