# For clusters running the Prometheus Operator (kube-prometheus-stack): scrape core's pods and
# load deploy/prometheus/alerts.yml as a PrometheusRule, so alerting is deployed with the
# service it watches. Skipped when var.prometheus_rules is null.

resource "kubernetes_manifest" "pod_monitor" {
  count = var.prometheus_rules == null ? 0 : 1

  manifest = {
    apiVersion = "monitoring.coreos.com/v1"
    kind       = "PodMonitor"
    metadata = {
      name      = var.name
      namespace = kubernetes_namespace_v1.this.metadata[0].name
      labels    = merge(local.labels, { release = var.prometheus_release_label })
    }
    spec = {
      # Both tracks' pods; the track label comes along so dashboards can compare the canary.
      selector        = { matchLabels = { "app.kubernetes.io/name" = "tcc-log", "app.kubernetes.io/component" = "core" } }
      podTargetLabels = ["tcclog.com/track", "tcclog.com/region"]
      podMetricsEndpoints = [{
        port     = "http"
        path     = "/metrics"
        interval = "30s" # the guide's scrape interval for the backend job
      }]
    }
  }
}

resource "kubernetes_manifest" "alert_rules" {
  count = var.prometheus_rules == null ? 0 : 1

  manifest = {
    apiVersion = "monitoring.coreos.com/v1"
    kind       = "PrometheusRule"
    metadata = {
      name      = "${var.name}-alerts"
      namespace = kubernetes_namespace_v1.this.metadata[0].name
      labels    = merge(local.labels, { release = var.prometheus_release_label })
    }
    # alerts.yml is a plain Prometheus rule file ({groups: [...]}), which is exactly a
    # PrometheusRule's spec: one file serves docker-compose and Kubernetes alike.
    spec = yamldecode(var.prometheus_rules)
  }
}
