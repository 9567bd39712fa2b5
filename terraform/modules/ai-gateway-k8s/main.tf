locals {
  selector = { app = var.name }
  labels = merge(local.selector, {
    "app.kubernetes.io/name"       = "tcc-log"
    "app.kubernetes.io/component"  = "ai-gateway"
    "app.kubernetes.io/managed-by" = "terraform"
    "tcclog.com/region"            = var.region
  })
  port = 8090
  # models = null would serialise as "models": null, which the gateway's schema refuses.
  nodes = [for n in var.lmstudio_nodes : { for k, v in n : k => v if v != null }]
  env = merge({
    NODE_ENV       = "production"
    HOST           = "0.0.0.0"
    PORT           = tostring(local.port)
    LOG_LEVEL      = "info"
    LMSTUDIO_NODES = jsonencode(local.nodes)
  }, var.env)
}

resource "kubernetes_config_map_v1" "gateway" {
  metadata {
    name      = "${var.name}-config"
    namespace = var.namespace
    labels    = local.labels
  }
  data = local.env
}

resource "kubernetes_deployment_v1" "gateway" {
  metadata {
    name      = var.name
    namespace = var.namespace
    labels    = local.labels
  }
  spec {
    replicas = var.replicas
    selector {
      match_labels = local.selector
    }
    template {
      metadata {
        labels = local.labels
        annotations = {
          "checksum/config"      = sha256(jsonencode(kubernetes_config_map_v1.gateway.data))
          "prometheus.io/scrape" = "true"
          "prometheus.io/port"   = tostring(local.port)
          "prometheus.io/path"   = "/metrics"
        }
      }
      spec {
        termination_grace_period_seconds = 30
        security_context {
          run_as_non_root = true
          run_as_user     = 1000
          run_as_group    = 1000
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }
        container {
          name  = "ai-gateway"
          image = var.image
          port {
            name           = "http"
            container_port = local.port
          }
          env_from {
            config_map_ref {
              name = kubernetes_config_map_v1.gateway.metadata[0].name
            }
          }
          env_from {
            secret_ref {
              name = var.app_secret
            }
          }
          resources {
            requests = var.resources.requests
            limits   = var.resources.limits
          }
          readiness_probe {
            http_get {
              path = "/readyz"
              port = "http"
            }
            period_seconds    = 5
            failure_threshold = 2
          }
          liveness_probe {
            http_get {
              path = "/healthz"
              port = "http"
            }
            period_seconds    = 10
            failure_threshold = 3
          }
          lifecycle {
            pre_stop {
              exec {
                command = ["sleep", "5"]
              }
            }
          }
          security_context {
            allow_privilege_escalation = false
            read_only_root_filesystem  = true
            capabilities {
              drop = ["ALL"]
            }
          }
        }
      }
    }
  }
}

# Only core calls the gateway: a ClusterIP Service and no ingress.
resource "kubernetes_service_v1" "gateway" {
  metadata {
    name      = var.name
    namespace = var.namespace
    labels    = local.labels
  }
  spec {
    type     = "ClusterIP"
    selector = local.selector
    port {
      name        = "http"
      port        = local.port
      target_port = "http"
    }
  }
}

resource "kubernetes_pod_disruption_budget_v1" "gateway" {
  metadata {
    name      = "${var.name}-pdb"
    namespace = var.namespace
    labels    = local.labels
  }
  spec {
    max_unavailable = "1"
    selector {
      match_labels = local.selector
    }
  }
}
