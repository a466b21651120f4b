resource "google_container_cluster" "autopilot" {
  name             = "gke-apps"
  location         = "europe-west1"
  project          = "shop-apps"
  enable_autopilot = true
}

resource "google_cloud_run_v2_service" "internal" {
  name     = "inventory-sync"
  location = "europe-west1"
  project  = "shop-apps"
  ingress  = "INGRESS_TRAFFIC_INTERNAL_ONLY"

  template {
    service_account = google_service_account.sync.email
    containers {
      image = "europe-west1-docker.pkg.dev/shop-apps/apps/inventory-sync:${var.release}"
    }
  }
}
