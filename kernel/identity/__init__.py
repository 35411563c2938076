"""Identity and authorization: accounts (argon2id), JWT access/refresh tokens, API keys,
login throttling, and casbin RBAC with domains = tenants."""
