locals {
  selector = { app = var.name }
  labels = merge(local.selector, {
    "app.kubernetes.io/name"       = "tcc-log"
    "app.kubernetes.io/component"  = "core"
    "app.kubernetes.io/managed-by" = "terraform"
    "tcclog.com/region"            = var.region
  })

  # core listens here; the Service maps the guide's port 8000 onto it.
  container_port = 8080

  # The stable Deployment (the guide's tcc-backend, scaled by the HPA) and, while a canary is
  # set, a small fixed one running the canary image. Each selects its own app label, so the
  # stable Service never routes to canary pods; the canary Ingress (canary.tf) does, by weight.
  tracks = merge(
    { stable = { name = var.name, image = var.image, replicas = var.min_replicas } },
    var.canary == null ? {} : { canary = { name = "${var.name}-canary", image = var.canary.image, replicas = var.canary.replicas } },
  )

  # Defaults for a pod behind the ingress; core/src/env.ts documents each name.
  env = merge({
    NODE_ENV  = "production"
    HOST      = "0.0.0.0"
    PORT      = tostring(local.container_port)
    LOG_LEVEL = "info"
    # Behind Cloudflare and ingress-nginx the socket peer is the proxy; the client is in
    # CF-Connecting-IP / X-Forwarded-For. Safe only while the ingress accepts traffic from
    # Cloudflare alone (var.ingress_source_ranges, terraform/README.md).
    TRUST_PROXY = "true"
    # Read-only root filesystem: anything core writes goes to the /tmp emptyDir.
    DATA_DIR = "/tmp/tcc"
    # Drain time after SIGTERM: preStop (5 s) + this (20 s) stays inside the pod's 30 s
    # termination grace period, so in-flight requests finish before SIGKILL.
    SHUTDOWN_GRACE_MS = "20000"
  }, var.env)
}

resource "kubernetes_namespace_v1" "this" {
  metadata {
    name   = var.namespace
    labels = { "app.kubernetes.io/part-of" = "tcc-log" }
  }
}

resource "kubernetes_config_map_v1" "core" {
  metadata {
    name      = "${var.name}-config"
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels    = local.labels
  }
  data = local.env
}

# The Deployment was a single resource before canaries; keep its state (and its pods).
moved {
  from = kubernetes_deployment_v1.core
  to   = kubernetes_deployment_v1.core["stable"]
}

resource "kubernetes_deployment_v1" "core" {
  for_each = local.tracks

  metadata {
    name      = each.value.name
    namespace = kubernetes_namespace_v1.this.metadata[0].name
    labels    = merge(local.labels, { app = each.value.name, "tcclog.com/track" = each.key })
  }

  spec {
    replicas               = each.value.replicas
    revision_history_limit = 5
    selector {
      match_labels = { app = each.value.name }
    }

    # Never dip below the current count during a rollout: capacity is what the HPA sized.
    strategy {
      type = "RollingUpdate"
      rolling_update {
        max_surge       = "25%"
        max_unavailable = "0"
      }
    }

    template {
      metadata {
        labels = merge(local.labels, { app = each.value.name, "tcclog.com/track" = each.key })
        annotations = {
          # A changed ConfigMap does not restart pods by itself; a changed hash in the
          # template does. Secrets rotate by `kubectl rollout restart` (see README).
          "checksum/config" = sha256(jsonencode(kubernetes_config_map_v1.core.data))
          # For a plain Prometheus using the common annotation-driven "kubernetes-pods" job;
          # kube-prometheus-stack uses the PodMonitor in monitoring.tf instead.
          "prometheus.io/scrape" = "true"
          "prometheus.io/port"   = tostring(local.container_port)
          "prometheus.io/path"   = "/metrics"
        }
      }

      spec {
        # > SHUTDOWN_GRACE_MS + the preStop sleep, so core drains before it is killed.
        termination_grace_period_seconds = 30

        security_context {
          run_as_non_root = true
          run_as_user     = 1000 # the oven/bun image's `bun` user
          run_as_group    = 1000
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }

        # Spread over zones so losing one zone loses at most a third of the pods.
        topology_spread_constraint {
          max_skew           = 1
          topology_key       = "topology.kubernetes.io/zone"
          when_unsatisfiable = "ScheduleAnyway"
          label_selector {
            match_labels = { app = each.value.name }
          }
        }

        container {
          name  = "core"
          image = each.value.image

          port {
            name           = "http"
            container_port = local.container_port
          }

          env_from {
            config_map_ref {
              name = kubernetes_config_map_v1.core.metadata[0].name
            }
          }
          # REDIS_URL, JWT_KEY_ID and the rest of the app secret.
          env_from {
            secret_ref {
              name = var.app_secret
            }
          }
          # Named again, not optional, so a Secret without it stops the rollout (the pod
          # cannot start) instead of each pod generating its own key and rejecting the
          # others' tokens.
          env {
            name = "JWT_PRIVATE_KEY"
            value_from {
              secret_key_ref {
                name = var.app_secret
                key  = "JWT_PRIVATE_KEY"
              }
            }
          }
          # The guide's db-secret/url. Secrets are created outside Terraform so database
          # passwords never land in Terraform state.
          env {
            name = "DATABASE_URL"
            value_from {
              secret_key_ref {
                name = var.database_secret
                key  = "url"
              }
            }
          }
          env {
            name = "DATABASE_REPLICA_URLS"
            value_from {
              secret_key_ref {
                name     = var.database_secret
                key      = "replica-urls"
                optional = true # a region may run on the primary alone
              }
            }
          }

          # Bun paces JavaScriptCore's full collections to the memory it may use: the cgroup's
          # limit by default. Pace them to the request instead, so a pod under load stays near
          # the memory it is guaranteed (docs/benchmarks.md, "Core's memory").
          env {
            name = "BUN_JSC_forceRAMSize"
            value_from {
              resource_field_ref {
                container_name = "core"
                resource       = "requests.memory"
              }
            }
          }

          resources {
            requests = var.resources.requests
            limits   = var.resources.limits
          }

          # Migrations run before core listens; give start-up up to two minutes before the
          # liveness probe may kill it.
          startup_probe {
            http_get {
              path = "/healthz"
              port = "http"
            }
            period_seconds    = 2
            failure_threshold = 60
          }
          # /readyz fails only when the primary does; Redis or a replica down answers 200
          # "degraded", so a cache outage never empties the Service.
          readiness_probe {
            http_get {
              path = "/readyz"
              port = "http"
            }
            period_seconds    = 5
            timeout_seconds   = 2
            failure_threshold = 2
          }
          # Liveness checks the process only: a database blip must not restart every pod.
          liveness_probe {
            http_get {
              path = "/healthz"
              port = "http"
            }
            period_seconds    = 10
            timeout_seconds   = 2
            failure_threshold = 3
          }

          lifecycle {
            # Endpoints removal reaches the ingress a moment after SIGTERM would; keep
            # serving briefly so no request is routed to a pod that stopped accepting.
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

          volume_mount {
            name       = "tmp"
            mount_path = "/tmp"
          }
        }

        volume {
          name = "tmp"
          empty_dir {
            size_limit = "64Mi"
          }
        }
      }
    }
  }

  # The HPA owns the stable replica count after creation; without this every apply would reset
  # it. (So a canary's replica count is set when the canary is created: remove and re-add it.)
  lifecycle {
    ignore_changes = [spec[0].replicas]
  }
}
