# Azure App Service and Functions: which are container workloads?
resource "azurerm_service_plan" "linux" {
  name                = "asp-shop-linux"
  resource_group_name = azurerm_resource_group.shop.name
  location            = "westeurope"
  os_type             = "Linux"
  sku_name            = "P1v3"
}

# Web App for Containers through application_stack (azurerm 3.x/4.x)
resource "azurerm_linux_web_app" "portal" {
  name                = "web-shop-portal"
  resource_group_name = azurerm_resource_group.shop.name
  location            = "westeurope"
  service_plan_id     = azurerm_service_plan.linux.id
  https_only          = true

  site_config {
    application_stack {
      docker_image_name   = "shop/portal:5.1.0"
      docker_registry_url = "https://shopacr.azurecr.io"
    }
  }

  identity {
    type = "SystemAssigned"
  }
}

# kind says "app,linux" but the code runs on a built-in Node stack: not a container
resource "azurerm_linux_web_app" "docs" {
  name                = "web-shop-docs"
  resource_group_name = azurerm_resource_group.shop.name
  location            = "westeurope"
  service_plan_id     = azurerm_service_plan.linux.id

  site_config {
    application_stack {
      node_version = "20-lts"
    }
  }
}

# Legacy resource with linux_fx_version = "DOCKER|..."
resource "azurerm_app_service" "legacy" {
  name                = "app-legacy-billing"
  location            = "westeurope"
  resource_group_name = azurerm_resource_group.shop.name
  app_service_plan_id = azurerm_app_service_plan.legacy.id

  site_config {
    linux_fx_version = "DOCKER|shopacr.azurecr.io/billing:2.0.7"
    always_on        = true
  }
}

# Function App from a container image
resource "azurerm_linux_function_app" "resize" {
  name                       = "func-shop-resize"
  resource_group_name        = azurerm_resource_group.shop.name
  location                   = "westeurope"
  service_plan_id            = azurerm_service_plan.linux.id
  storage_account_name       = azurerm_storage_account.func.name
  storage_account_access_key = azurerm_storage_account.func.primary_access_key

  site_config {
    application_stack {
      docker {
        registry_url = "shopacr.azurecr.io"
        image_name   = "image-resizer"
        image_tag    = "1.8.0"
      }
    }
  }
}

# Function App with a code stack: not a container workload
resource "azurerm_linux_function_app" "cron" {
  name                       = "func-shop-cron"
  resource_group_name        = azurerm_resource_group.shop.name
  location                   = "westeurope"
  service_plan_id            = azurerm_service_plan.linux.id
  storage_account_name       = azurerm_storage_account.func.name
  storage_account_access_key = azurerm_storage_account.func.primary_access_key

  site_config {
    application_stack {
      python_version = "3.11"
    }
  }
}

resource "azurerm_container_app" "checkout" {
  name                         = "ca-checkout"
  container_app_environment_id = azurerm_container_app_environment.shop.id
  resource_group_name          = azurerm_resource_group.shop.name
  revision_mode                = "Single"

  template {
    container {
      name   = "checkout"
      image  = "shopacr.azurecr.io/checkout:4.2.0"
      cpu    = 0.5
      memory = "1Gi"
    }
  }

  ingress {
    external_enabled = true
    target_port      = 8080
    traffic_weight {
      percentage      = 100
      latest_revision = true
    }
  }
}

resource "azurerm_container_group" "batch" {
  name                = "aci-shop-batch"
  location            = "westeurope"
  resource_group_name = azurerm_resource_group.shop.name
  ip_address_type     = "Private"
  os_type             = "Linux"
  subnet_ids          = [azurerm_subnet.aci.id]

  container {
    name   = "worker"
    image  = "shopacr.azurecr.io/batch-worker:1.0.0"
    cpu    = "1"
    memory = "2"
  }
}

resource "azurerm_security_center_subscription_pricing" "containers" {
  tier          = "Standard"
  resource_type = "Containers"
}

resource "azurerm_security_center_subscription_pricing" "app_services" {
  tier          = "Free"
  resource_type = "AppServices"
}
