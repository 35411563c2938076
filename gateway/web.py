"""The web clients' addresses: ``/`` (a start page), ``/favicon.ico``, the staff console at
``/console/``, the resident app at ``/app/``, the 一图感知 dashboard at ``/dashboard/``, the built assets under ``/web/`` (web/ → ``npm run build`` → gateway/static/web),
GraphiQL's page, and the pages plugins contribute (``register_web_pages``): their module files
under ``/web-plugins/<plugin>/`` and the list a signed-in person may use (GraphQL ``webPages``).

When the assets were not built (no npm at install time), the console and GraphiQL answer a
page saying how to build them, with status 503: nothing is fetched from a CDN instead.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

from kernel.errors import NotFound
from kernel.plugins.contributions import WEB_CLIENTS, WEB_FILE_TYPES, WebPage

if TYPE_CHECKING:
    from kernel.plugins.host import PluginHost

STATIC = Path(__file__).resolve().parent / "static"
#: Where ``npm run build`` in web/ writes the clients (web/vite.config.js ``outDir``).
BUILT = STATIC / "web"

#: The console's pages that belong to the kernel, not to a plugin (always enabled).
KERNEL_PAGES: tuple[WebPage, ...] = (
    WebPage(
        key="people",
        title={"zh-CN": "人员", "en": "People"},
        permission="members:read",
        order=20,
        icon="people",
    ),
    WebPage(
        key="privacy",
        title={"zh-CN": "个人信息保护", "en": "Data protection"},
        permission="privacy:manage",
        order=95,
        icon="privacy",
    ),
)

#: The console's pages of a street office's regulator account (``kind == "regulator"``), who
#: sees these and nothing else: the firms' staff screens are not for them (docs/regulator.md).
REGULATOR_PAGES: tuple[WebPage, ...] = (
    WebPage(key="regulator", title={"zh-CN": "辖区指标", "en": "Jurisdiction KPIs"}, order=10, icon="kpis"),
    WebPage(key="filings", title={"zh-CN": "备案收件箱", "en": "Filings inbox"}, order=20, icon="filings"),
    WebPage(key="alerts", title={"zh-CN": "超时告警", "en": "Overdue alerts"}, order=30, icon="alerts"),
)

_MEDIA = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
    ".map": "application/json",
}


def built(client: str) -> Path | None:
    """The built HTML page of ``client`` (``console``, ``graphiql``), or None when not built."""
    page = BUILT / client / "index.html"
    return page if page.is_file() else None


def not_built(client: str) -> HTMLResponse:
    """The page shown instead of a client whose assets were not built: how to build them."""
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Linli — {html.escape(client)} not built</title>
<link rel="icon" href="/favicon.ico"><meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:16px/1.6 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem}}
code,pre{{background:#f4f4f5;padding:.1rem .3rem;border-radius:4px}}pre{{padding:.8rem}}</style></head>
<body><main><h1>The {html.escape(client)} is not built yet</h1>
<p>Linli's web clients (the staff console, GraphiQL) are built from <code>web/</code> with Node.js 20 and
npm. The install step does it when npm is present:</p>
<pre>bash scripts/bootstrap.sh</pre>
<p>or by hand:</p>
<pre>cd web &amp;&amp; npm ci &amp;&amp; npm run build</pre>
<p>The build writes <code>gateway/static/web/</code>; reload this page afterwards. 界面尚未构建：请在安装时运行
<code>bash scripts/bootstrap.sh</code>（需要 Node.js 20 与 npm）。</p>
<p><a href="/">Linli</a></p></main></body></html>"""
    return HTMLResponse(body, status_code=503)


def client_page(client: str) -> Response:
    page = built(client)
    if page is None:
        return not_built(client)
    return FileResponse(page, media_type="text/html", headers={"cache-control": "no-cache"})


@dataclass(frozen=True)
class PluginWebPage:
    """A contributed page with the plugin it belongs to (``kernel`` for the kernel's own)."""

    plugin: str
    page: WebPage

    @property
    def module_url(self) -> str | None:
        if self.page.module is None:
            return None
        return f"/web-plugins/{self.plugin}/{Path(self.page.module).name}"


def all_pages(host: PluginHost) -> list[PluginWebPage]:
    """The kernel's pages and every plugin's, in menu order."""
    pages = [PluginWebPage("kernel", p) for p in KERNEL_PAGES]
    pages += [PluginWebPage(name, p) for name, p in host.web_pages()]
    return sorted(pages, key=lambda p: (p.page.order, p.plugin, p.page.key))


def pages_for(ctx: Any, client: str) -> list[PluginWebPage]:
    """The pages of ``client`` the caller may use: the kernel's and those of plugins their tenant
    enabled (core plugins always), each only with its permission."""
    if client not in WEB_CLIENTS:
        from kernel.errors import BadUserInput

        raise BadUserInput(
            f"unknown client {client!r}; one of {', '.join(WEB_CLIENTS)}", field="client"
        )
    actor = getattr(ctx, "actor", None)
    if actor is not None and actor.kind == "regulator":
        return [PluginWebPage("kernel", p) for p in REGULATOR_PAGES if p.client == client]
    host = ctx.runtime.host
    out = []
    for item in all_pages(host):
        if item.page.client != client:
            continue
        if item.plugin != "kernel":
            loaded = host.plugins.get(item.plugin)
            if loaded is None or not (loaded.manifest.core or item.plugin in ctx.enabled_plugins):
                continue
        if item.page.permission is not None and not ctx.allowed(
            *item.page.permission.split(":", 1)
        ):
            continue
        out.append(item)
    return out


def _module_folders(host: PluginHost) -> dict[str, set[Path]]:
    folders: dict[str, set[Path]] = {}
    for name, page in host.web_pages():
        if page.module is not None:
            folders.setdefault(name, set()).add(Path(page.module).resolve().parent)
    return folders


def mount(app: FastAPI, host: PluginHost) -> None:
    """Adds ``/``, the favicon, ``/console/``, ``/app/``, ``/dashboard/``, ``/web/`` and ``/web-plugins/`` to ``app``."""
    folders = _module_folders(host)

    @app.get("/", include_in_schema=False)
    async def home() -> FileResponse:
        return FileResponse(STATIC / "home.html", media_type="text/html")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> FileResponse:
        return FileResponse(
            STATIC / "favicon.ico",
            media_type="image/x-icon",
            headers={"cache-control": "max-age=86400"},
        )

    @app.get("/favicon.svg", include_in_schema=False)
    async def favicon_svg() -> FileResponse:
        return FileResponse(
            STATIC / "favicon.svg",
            media_type="image/svg+xml",
            headers={"cache-control": "max-age=86400"},
        )

    @app.get("/console", include_in_schema=False)
    async def console_redirect() -> RedirectResponse:
        return RedirectResponse("/console/", status_code=308)

    @app.get("/console/", include_in_schema=False)
    async def console() -> Response:
        return client_page("console")

    @app.get("/app", include_in_schema=False)
    async def app_redirect() -> RedirectResponse:
        return RedirectResponse("/app/", status_code=308)

    @app.get("/app/", include_in_schema=False)
    async def resident_app() -> Response:
        return client_page("app")

    @app.get("/dashboard", include_in_schema=False)
    async def dashboard_redirect() -> RedirectResponse:
        return RedirectResponse("/dashboard/", status_code=308)

    @app.get("/dashboard/", include_in_schema=False)
    async def dashboard() -> Response:
        return client_page("dashboard")

    @app.get("/web-plugins/{plugin}/{path:path}", include_in_schema=False)
    async def plugin_file(plugin: str, path: str) -> FileResponse:
        """A file of a plugin page's folder: only the folders of declared modules, only web file
        types, nothing outside the folder (``..`` and links resolved first)."""
        for folder in folders.get(plugin, ()):
            target = (folder / path).resolve()
            if (
                target.suffix in WEB_FILE_TYPES
                and target.is_relative_to(folder)
                and target.is_file()
            ):
                return FileResponse(
                    target, media_type=_MEDIA[target.suffix], headers={"cache-control": "no-cache"}
                )
        raise NotFound(f"no web file {path!r} of plugin {plugin!r}")

    # check_dir=False: without a build every asset answers 404 (the pages say how to build);
    # gzipped on the way (the console's shell: 580 KB of JavaScript, 205 KB gzipped)
    app.mount(
        "/web",
        GZipMiddleware(StaticFiles(directory=BUILT, check_dir=False), minimum_size=1024),
        name="web",
    )
