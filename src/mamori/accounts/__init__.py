"""People, departments, roles, MFA and API tokens (SRM 5–8, ISM 7–9, ISM 23-1)."""
