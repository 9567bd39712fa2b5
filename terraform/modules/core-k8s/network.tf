# The guide's service name and port (tcc-backend-service:8000), mapped onto core's 8080.
resource "kubernetes_service_v1" "core" {
  metadata {
    name      = "${var.name}-service"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels    = local.labels
  }
  spec {
    type     = "ClusterIP"
    selector = local.selector
    port {
      name        = "http"
      protocol    = "TCP"
      port        = 8000
      target_port = "http"
    }
  }
}

locals {
  ingress_annotations = merge(
    {
      "cert-manager.io/cluster-issuer"           = var.cluster_issuer
      "nginx.ingress.kubernetes.io/ssl-redirect" = "true"
      # Above core's MAX_BODY_BYTES (2 MiB) so core, not nginx, refuses oversized bodies
      # and the client gets the API's error envelope.
      "nginx.ingress.kubernetes.io/proxy-body-size" = "3m"
      # The guide's `rewrite-target: /` is left out on purpose: with path "/" it rewrites
      # every request to "/", which would send the whole API to a 404.
    },
    length(var.ingress_source_ranges) == 0 ? {} : {
      "nginx.ingress.kubernetes.io/whitelist-source-range" = join(",", var.ingress_source_ranges)
    },
  )

  # Only what clients need is routed. /metrics stays inside the cluster (Prometheus scrapes
  # pods directly); /.well-known carries the JWKS the edge verifies tokens with.
  public_paths = ["/v1", "/.well-known", "/openapi.json", "/docs", "/healthz", "/readyz"]
}

resource "kubernetes_ingress_v1" "core" {
  metadata {
    name        = "tcc-ingress"
    namespace   = kubernetes_namespace_v1.this.metadata[0].name
    labels      = local.labels
    annotations = local.ingress_annotations
  }

  spec {
    ingress_class_name = var.ingress_class

    tls {
      hosts       = var.ingress_hosts
      secret_name = var.tls_secret
    }

    dynamic "rule" {
      for_each = var.ingress_hosts
      content {
        host = rule.value
        http {
          dynamic "path" {
            for_each = local.public_paths
            content {
              path      = path.value
              path_type = "Prefix"
              backend {
                service {
                  name = kubernetes_service_v1.core.metadata[0].name
                  port {
                    number = 8000
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
