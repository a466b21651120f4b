resource "aws_ecs_task_definition" "worker" {
  family       = "worker"
  network_mode = "host"
  container_definitions = <<DEFINITION
[
  {
    "name": "worker",
    "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/worker:2.1",
    "privileged": true,
    "environment": [{"name": "API_KEY", "value": "sk-live-123"}, {"name": "MODE", "value": "batch"}]
  }
]
DEFINITION
}

resource "aws_lambda_function_url" "open" {
  function_name      = aws_lambda_function.fn.function_name
  authorization_type = "NONE"
}

resource "azurerm_container_registry" "acr" {
  name                = "shopacr"
  resource_group_name = "rg"
  location            = "westeurope"
  sku                 = "Premium"
  admin_enabled       = true
  anonymous_pull_enabled = true
}

resource "azurerm_container_group" "job" {
  name                = "job"
  location            = "westeurope"
  resource_group_name = "rg"
  os_type             = "Linux"
  container {
    name   = "job"
    image  = "myacr.azurecr.io/job:1.0"
    cpu    = "0.5"
    memory = "1.5"
  }
}

resource "google_artifact_registry_repository_iam_member" "public" {
  repository = google_artifact_registry_repository.repo.name
  location   = "europe"
  role       = "roles/artifactregistry.reader"
  member     = "allUsers"
}
