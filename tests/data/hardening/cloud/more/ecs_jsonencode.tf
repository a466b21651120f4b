resource "aws_ecs_task_definition" "svc" {
  family = "svc"
  container_definitions = jsonencode([
    {
      name      = "app"
      image     = "nginx:1.27"
      privileged = true
      environment = [{ name = "DB_PASSWORD", value = "hunter2" }, { name = "X", value = var.x }]
    }
  ])
}
