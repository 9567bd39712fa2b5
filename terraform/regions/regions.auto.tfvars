# The regions, in rollout order: a new image reaches them first to last. The name is the
# workspace that manages each one. Adding a region:
#   1. add an entry here,
#   2. create its Secrets in the new cluster (terraform/README.md),
#   3. terraform workspace new <name> && terraform apply -var core_image=...
# canary_weight is the percent of a region's traffic sent to -var canary_image=... while one
# is set (terraform/README.md, "Canary rollout"). The contexts and hosts are placeholders.
regions = [
  {
    name          = "eu-west-1"
    kube_context  = "tcc-eu-west-1"
    min_replicas  = 3
    max_replicas  = 10
    ingress_hosts = ["eu-west-1.origin.tcclog.com", "api.tcclog.com"]
    # Writes cross the ocean to the primary; keep more of them in flight per pod.
    env = { DB_POOL_MAX = "40" }
    # The first region a new image reaches, with a tenth of its traffic.
    canary_weight = 10
  },
  {
    name          = "ap-southeast-1"
    kube_context  = "tcc-ap-southeast-1"
    ingress_hosts = ["ap-southeast-1.origin.tcclog.com", "api.tcclog.com"]
    canary_weight = 0
  },
]
