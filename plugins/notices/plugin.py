from kernel.sdk import SDK_API_VERSION, PluginManifest

MANIFEST = PluginManifest(name="notices", version="0.1.0", sdk_api=SDK_API_VERSION, default_enabled=True)
