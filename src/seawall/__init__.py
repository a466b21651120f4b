"""seawall: container security across every service that runs containers."""

__version__ = "0.1.0"
