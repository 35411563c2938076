"""Linli kernel: config, storage, tenancy, identity, events, audit, chain client, plugin host.

The kernel knows no scenario; everything a scenario needs is a hook or an SDK call.
"""

__version__ = "0.1.0"
