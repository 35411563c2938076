"""Built-in scenario plugins, one package each, using only ``kernel.sdk`` and ``tenants``."""
