output "namespace" {
  value = kubernetes_namespace_v1.this.metadata[0].name
}

output "deployment" {
  value = kubernetes_deployment_v1.core["stable"].metadata[0].name
}

output "canary_deployment" {
  description = "The canary Deployment's name, or null when no canary runs."
  value       = var.canary == null ? null : kubernetes_deployment_v1.core["canary"].metadata[0].name
}

output "service" {
  description = "In-cluster address of core, the guide's tcc-backend-service:8000."
  value       = "${kubernetes_service_v1.core.metadata[0].name}.${kubernetes_namespace_v1.this.metadata[0].name}.svc:8000"
}

output "ingress_hosts" {
  value = var.ingress_hosts
}
