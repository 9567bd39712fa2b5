# The guide's autoscaler: CPU 70 %, memory 80 %, 3 to 20 pods (per-region bounds).
resource "kubernetes_horizontal_pod_autoscaler_v2" "core" {
  metadata {
    name      = "${var.name}-hpa"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels    = local.labels
  }

  spec {
    min_replicas = var.min_replicas
    max_replicas = var.max_replicas

    scale_target_ref {
      api_version = "apps/v1"
      kind        = "Deployment"
      name        = kubernetes_deployment_v1.core["stable"].metadata[0].name
    }

    metric {
      type = "Resource"
      resource {
        name = "cpu"
        target {
          type                = "Utilization"
          average_utilization = var.cpu_target_percent
        }
      }
    }

    # core's RSS stays far below the 512Mi request (budget: < 150 MB), so this fires only
    # on a leak or a runaway cache; kept because the guide asks for it.
    metric {
      type = "Resource"
      resource {
        name = "memory"
        target {
          type                = "Utilization"
          average_utilization = var.memory_target_percent
        }
      }
    }

    behavior {
      # Scale down one pod a minute after five quiet minutes: traffic is bursty, and a
      # pod that just left takes its warm connection pools with it.
      scale_down {
        stabilization_window_seconds = 300
        select_policy                = "Max"
        policy {
          type           = "Pods"
          value          = 1
          period_seconds = 60
        }
      }
    }
  }
}

# Voluntary disruptions (node drains, upgrades) take one pod at a time.
resource "kubernetes_pod_disruption_budget_v1" "core" {
  metadata {
    name      = "${var.name}-pdb"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels    = local.labels
  }
  spec {
    max_unavailable = "1"
    selector {
      match_labels = local.selector
    }
  }
}
