"""The plugin SDK's API version. A plugin declares the version it targets in its manifest;
the host accepts the same major version with a minor version no newer than its own."""

SDK_API_VERSION = "1.0"


def is_compatible(target: str, provided: str = SDK_API_VERSION) -> bool:
    try:
        t_major, t_minor = (int(x) for x in target.split(".", 1))
        p_major, p_minor = (int(x) for x in provided.split(".", 1))
    except ValueError:
        return False
    return t_major == p_major and t_minor <= p_minor
