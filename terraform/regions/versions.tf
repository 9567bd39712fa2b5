# Per-region Kubernetes workloads. One state per region, selected by workspace
# (`terraform workspace select <region>`): Terraform cannot create provider configurations in
# a loop, and a kube context is a provider setting, so one state manages one cluster. The
# regions themselves are data in var.regions, which makes a new region one map entry plus
# `terraform workspace new <region>`.
terraform {
  required_version = ">= 1.6.0, < 2.0.0"

  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.38"
    }
  }

  # backend "s3" {}  # per organisation; workspaces give each region its own state key
}

provider "kubernetes" {
  config_path    = local.region == null ? null : pathexpand(local.region.kubeconfig_path)
  config_context = local.region == null ? null : local.region.kube_context
}
