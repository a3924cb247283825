"""The transaction edge of the accounts app: sign-in, MFA, tokens."""
