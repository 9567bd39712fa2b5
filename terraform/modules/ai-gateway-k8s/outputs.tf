output "url" {
  description = "In-cluster URL core uses as AI_GATEWAY_URL."
  value       = "http://${kubernetes_service_v1.gateway.metadata[0].name}.${var.namespace}.svc.cluster.local:${local.port}"
}
