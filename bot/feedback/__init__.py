"""What tenants tell us about the service that staff should hear (P11)."""
