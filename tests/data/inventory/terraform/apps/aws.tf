resource "aws_ecs_cluster" "payments" {
  name = "payments"
}

resource "aws_ecs_task_definition" "api" {
  family                   = "payments-api"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 512
  memory                   = 1024
  execution_role_arn       = aws_iam_role.exec.arn
  container_definitions = jsonencode([
    {
      name      = "api"
      image     = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/payments-api:3.4.1"
      essential = true
    }
  ])
}

resource "aws_ecs_service" "api" {
  name            = "payments-api"
  cluster         = aws_ecs_cluster.payments.id
  task_definition = aws_ecs_task_definition.api.arn
  desired_count   = 2

  capacity_provider_strategy {
    capacity_provider = "FARGATE_SPOT"
    weight            = 1
  }

  network_configuration {
    subnets          = var.private_subnets
    assign_public_ip = false
  }
}

resource "aws_lambda_function" "thumbnailer" {
  function_name = "thumbnailer"
  role          = aws_iam_role.lambda.arn
  package_type  = "Image"
  image_uri     = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/thumbnailer:7"
}

resource "aws_apprunner_service" "orders" {
  service_name = "orders-web"

  source_configuration {
    image_repository {
      image_identifier      = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/orders-web:2026.11.2"
      image_repository_type = "ECR"
    }
    auto_deployments_enabled = false
  }
}

resource "aws_guardduty_detector_feature" "runtime" {
  detector_id = aws_guardduty_detector.main.id
  name        = "RUNTIME_MONITORING"
  status      = "ENABLED"

  additional_configuration {
    name   = "ECS_FARGATE_AGENT_MANAGEMENT"
    status = "ENABLED"
  }
  additional_configuration {
    name   = "EKS_ADDON_MANAGEMENT"
    status = "DISABLED"
  }
}

resource "aws_inspector2_enabler" "this" {
  account_ids    = ["111122223333"]
  resource_types = ["ECR", "LAMBDA"]
}
