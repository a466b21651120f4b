"""rbac hardening rules."""

from __future__ import annotations
