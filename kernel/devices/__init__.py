"""The device registry and telemetry (see README.md and docs/devices.md). Plugins reach it
through ``kernel.sdk.devices`` and the profile types exported by ``kernel.sdk``."""
