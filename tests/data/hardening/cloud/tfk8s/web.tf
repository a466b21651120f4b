resource "kubernetes_deployment_v1" "web" {
  metadata {
    name      = "web"
    namespace = "shop"
    labels = {
      team = "storefront"
    }
  }
  spec {
    replicas = 1
    selector {
      match_labels = {
        app = "web"
      }
    }
    template {
      metadata {
        labels = {
          app = "web"
        }
      }
      spec {
        host_pid = true
        container {
          name  = "web"
          image = "docker.io/library/nginx:latest"
          security_context {
            privileged = true
            capabilities {
              add = ["NET_ADMIN"]
            }
          }
        }
        volume {
          name = "sock"
          host_path {
            path = "/var/run/docker.sock"
          }
        }
      }
    }
  }
}
