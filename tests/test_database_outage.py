"""PostgreSQL going away and coming back (issue #16): the gateway answers DATABASE_UNAVAILABLE (503),
never an internal error; nothing is half-written; the first requests after the database is back
succeed without restarting Linli.

The outage is real at the network level: the runtime reaches the test database through a TCP proxy
this test owns. Stopping the proxy drops every open connection (what a PostgreSQL restart or a
failover does to clients) and refuses new ones until it starts again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from urllib.parse import urlsplit, urlunsplit

import pytest
from fixtures.estates import fast_passwords  # noqa: F401 - fixture

from kernel.db.outage import is_database_outage
from kernel.testing import eventually

pytestmark = pytest.mark.usefixtures("fast_passwords")


class Proxy:
    """A TCP forwarder to ``target`` on a fixed local port that can be cut and restored."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port)

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.links):
            writer.transport.abort()  # a reset, as a dying server's sockets give
        self.links.clear()
        await self.server.wait_closed()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.links |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            with contextlib.suppress(Exception):
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


COMMUNITIES = "{ communities { edges { node { name } } } }"


async def _post(client, query: str, token: str):  # type: ignore[no-untyped-def]
    return await client.http.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )


async def test_postgres_outage_is_coded_and_recovers(
    linli_backend, linli_database, make_runtime, gql_factory, new_tenant
) -> None:  # type: ignore[no-untyped-def]
    if linli_backend != "postgres":
        pytest.skip("the outage is of a PostgreSQL server (SQLite is a file in the process)")
    t = await new_tenant("outage")
    direct = urlsplit(linli_database.settings().database_url)
    proxy = Proxy((direct.hostname or "127.0.0.1", direct.port or 5432))
    await proxy.start()
    netloc = direct.netloc.rsplit(":", 1)[0] + f":{proxy.port}"
    runtime = make_runtime(database_url=urlunsplit(direct._replace(netloc=netloc)))
    client = gql_factory(runtime)
    try:
        ok = await _post(client, COMMUNITIES, t.token)
        assert ok.status_code == 200 and "errors" not in ok.json(), ok.text

        await proxy.stop()  # the server "restarts": open connections reset, new ones refused
        down = await _post(client, COMMUNITIES, t.token)
        assert down.status_code in (200, 503), down.text
        body = down.json()
        codes = (
            [e["extensions"]["code"] for e in body["errors"]]
            if "errors" in body
            else [body["error"]["code"]]
        )
        assert codes and set(codes) == {"DATABASE_UNAVAILABLE"}, body
        write = await _post(
            client, 'mutation { createCommunity(code: "OUT1", name: "断线社区") { id } }', t.token
        )
        assert "DATABASE_UNAVAILABLE" in write.text and write.status_code in (200, 503), write.text

        await proxy.start()  # back, on the same address: no restart of Linli needed

        async def recovered() -> bool:
            again = await _post(client, COMMUNITIES, t.token)
            return again.status_code == 200 and "errors" not in again.json()

        await eventually(recovered, within=20, what="requests succeed again after the outage")
        # the write attempted during the outage left nothing behind
        names = [
            e["node"]["name"]
            for e in (await _post(client, COMMUNITIES, t.token)).json()["data"]["communities"][
                "edges"
            ]
        ]
        assert "断线社区" not in names
        made = await _post(
            client, 'mutation { createCommunity(code: "OUT2", name: "恢复社区") { id } }', t.token
        )
        assert made.status_code == 200 and "errors" not in made.json(), made.text
    finally:
        with contextlib.suppress(Exception):
            await proxy.stop()


def test_outage_classification() -> None:
    import sqlalchemy.exc as sa_exc

    refused = ConnectionRefusedError(111, "Connect call failed")
    wrapped = sa_exc.OperationalError("SELECT 1", {}, refused)
    assert is_database_outage(wrapped)
    invalidated = sa_exc.DBAPIError("SELECT 1", {}, Exception("boom"), connection_invalidated=True)
    assert is_database_outage(invalidated)
    assert is_database_outage(sa_exc.TimeoutError("QueuePool limit reached"))
    # a timeout or refusal that is not the database's is a different story
    assert not is_database_outage(TimeoutError("chain node"))
    assert not is_database_outage(ConnectionRefusedError(111, "webhook"))
    # a real SQL error is not an outage
    assert not is_database_outage(sa_exc.IntegrityError("INSERT", {}, Exception("duplicate key")))
