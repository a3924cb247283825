"""Platform core: UI shell, navigation and dashboard registries, API, security checks."""
