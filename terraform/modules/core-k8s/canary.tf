# While a canary runs: its own Service, and an ingress-nginx canary Ingress for the same hosts
# and paths that sends var.canary.weight percent of requests to it (the rest keep going to
# the stable Ingress). Watch the 5xx share and latency by track on the dashboard; raise the
# weight, move to the next region, or set canary_image back to null (terraform/README.md).
resource "kubernetes_service_v1" "canary" {
  count = var.canary == null ? 0 : 1

  metadata {
    name      = "${var.name}-canary-service"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels    = merge(local.labels, { "tcclog.com/track" = "canary" })
  }
  spec {
    type     = "ClusterIP"
    selector = { app = local.tracks.canary.name }
    port {
      name        = "http"
      protocol    = "TCP"
      port        = 8000
      target_port = "http"
    }
  }
}

resource "kubernetes_ingress_v1" "canary" {
  count = var.canary == null ? 0 : 1

  metadata {
    name      = "tcc-ingress-canary"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels    = merge(local.labels, { "tcclog.com/track" = "canary" })
    # The stable Ingress's settings, minus cert-manager (the stable Ingress holds the
    # certificate for these hosts), plus the canary split.
    annotations = merge(
      { for k, v in local.ingress_annotations : k => v if k != "cert-manager.io/cluster-issuer" },
      {
        "nginx.ingress.kubernetes.io/canary"        = "true"
        "nginx.ingress.kubernetes.io/canary-weight" = tostring(var.canary.weight)
      },
    )
  }

  spec {
    ingress_class_name = var.ingress_class

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
                  name = kubernetes_service_v1.canary[0].metadata[0].name
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
