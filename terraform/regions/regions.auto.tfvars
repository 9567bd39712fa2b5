# One entry per region; the key is the workspace that manages it. Adding a region:
#   1. add an entry here,
#   2. create its Secrets in the new cluster (terraform/README.md),
#   3. terraform workspace new <key> && terraform apply -var core_image=...
# The contexts and hosts below are placeholders for the real clusters.
regions = {
  "ap-southeast-1" = {
    kube_context  = "tcc-ap-southeast-1"
    ingress_hosts = ["ap-southeast-1.origin.tcclog.com", "api.tcclog.com"]
  }
  "eu-west-1" = {
    kube_context  = "tcc-eu-west-1"
    min_replicas  = 3
    max_replicas  = 10
    ingress_hosts = ["eu-west-1.origin.tcclog.com", "api.tcclog.com"]
    # Writes cross the ocean to the primary; keep more of them in flight per pod.
    env = { DB_POOL_MAX = "40" }
  }
}
