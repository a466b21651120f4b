resource "azurerm_linux_web_app" "shop" {
  name                = "shop-web"
  location            = "westeurope"
  resource_group_name = "rg-shop"
  service_plan_id     = azurerm_service_plan.plan.id
  https_only          = false

  site_config {
    minimum_tls_version = "1.0"
    ftps_state          = "AllAllowed"
    remote_debugging_enabled = true
    cors {
      allowed_origins = ["*"]
    }
  }
}

resource "aws_eks_cluster" "prod" {
  name     = "prod"
  role_arn = aws_iam_role.eks.arn
  vpc_config {
    subnet_ids             = ["subnet-1", "subnet-2"]
    endpoint_public_access = true
  }
}

resource "google_container_cluster" "gke" {
  name               = "gke-prod"
  location           = "europe-west1"
  enable_legacy_abac = true
}

resource "azurerm_container_app" "api" {
  name                         = "api"
  container_app_environment_id = azurerm_container_app_environment.env.id
  resource_group_name          = "rg"
  revision_mode                = "Single"
  ingress {
    external_enabled = true
    target_port      = 8080
    traffic_weight {
      percentage      = 100
      latest_revision = true
    }
  }
  template {
    container {
      name   = "api"
      image  = "myacr.azurecr.io/api:1.0"
      cpu    = 0.5
      memory = "1Gi"
    }
  }
}

resource "aws_apprunner_service" "web" {
  service_name = "web"
  source_configuration {
    image_repository {
      image_identifier      = "public.ecr.aws/nginx/nginx:1.27"
      image_repository_type = "ECR_PUBLIC"
    }
  }
}

resource "google_cloud_run_v2_service" "svc" {
  name     = "svc"
  location = "europe-west1"
  template {
    containers {
      image = "europe-docker.pkg.dev/p/r/svc:1"
    }
  }
}

resource "google_cloud_run_v2_service_iam_member" "public" {
  name     = google_cloud_run_v2_service.svc.name
  location = "europe-west1"
  role     = "roles/run.invoker"
  member   = "allUsers"
}
