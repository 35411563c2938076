"""Revert decoding shared by the embedded EVM (eth-tester) and JSON-RPC nodes (anvil).

eth-tester raises ``eth_tester.exceptions.TransactionFailed`` whose message embeds the raw revert bytes;
web3 over JSON-RPC raises ``ContractCustomError`` / ``ContractLogicError`` / ``ContractPanicError`` carrying
hex data. :func:`decode_revert` turns all of them into one :class:`ContractRevert` with the custom error's
name and decoded arguments, looked up in the ABIs of the known artifacts.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from typing import Any

# eth-abi and eth-utils (~0.8 s of imports) load with the first decoding: the error classes are
# imported by every module that handles chain failures, the gateway's among them.

__all__ = [
    "ChainError",
    "ChainUnavailable",
    "ContractRevert",
    "ErrorDecoder",
    "decode_revert",
    "revert_data",
]

_ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)
_PANIC = bytes.fromhex("4e487b71")  # Panic(uint256)


class ChainError(Exception):
    """Base of the chain client's errors."""


class ChainUnavailable(ChainError):
    """The node could not be reached after the retries (maps to the gateway's CHAIN_UNAVAILABLE)."""


class ContractRevert(ChainError):
    """A transaction or call reverted.

    ``error_name`` is the custom error's name (``"RegistrySameOwner"``), ``"Error"`` for a
    ``require`` message, ``"Panic"`` for a panic code, or ``None`` when the data is unknown or empty;
    ``error_args`` the decoded arguments as a tuple and ``error_kwargs`` by parameter name.
    """

    def __init__(
        self,
        error_name: str | None,
        error_args: tuple[Any, ...] = (),
        *,
        data: bytes = b"",
        arg_names: tuple[str, ...] = (),
        tx_hash: bytes | None = None,
    ) -> None:
        self.error_name = error_name
        self.error_args = error_args
        self.error_kwargs = dict(zip(arg_names, error_args, strict=False)) if arg_names else {}
        self.data = data
        self.tx_hash = tx_hash
        shown = ", ".join(repr(a) for a in error_args)
        super().__init__(f"{error_name or 'revert'}({shown})" if error_name else f"revert 0x{data.hex()}")


class ErrorDecoder:
    """Maps 4-byte error selectors to custom errors of the given ABIs."""

    def __init__(self, abis: Iterable[list[dict[str, Any]]] = ()) -> None:
        self._errors: dict[bytes, tuple[str, list[str], tuple[str, ...]]] = {}
        for abi in abis:
            self.add_abi(abi)

    def add_abi(self, abi: list[dict[str, Any]]) -> None:
        from eth_utils import function_signature_to_4byte_selector

        for item in abi:
            if item.get("type") != "error":
                continue
            types = [_abi_type(i) for i in item["inputs"]]
            signature = f"{item['name']}({','.join(types)})"
            names = tuple(i.get("name", "") for i in item["inputs"])
            self._errors[function_signature_to_4byte_selector(signature)] = (item["name"], types, names)

    def decode(self, data: bytes, tx_hash: bytes | None = None) -> ContractRevert:
        """Decode raw revert ``data`` into a :class:`ContractRevert`."""
        from eth_abi import decode as abi_decode

        selector, payload = data[:4], data[4:]
        if selector == _ERROR_STRING:
            (message,) = abi_decode(["string"], payload)
            return ContractRevert("Error", (message,), data=data, arg_names=("message",), tx_hash=tx_hash)
        if selector == _PANIC:
            (code,) = abi_decode(["uint256"], payload)
            return ContractRevert("Panic", (code,), data=data, arg_names=("code",), tx_hash=tx_hash)
        known = self._errors.get(selector)
        if known is None:
            return ContractRevert(None, (), data=data, tx_hash=tx_hash)
        name, types, names = known
        args = tuple(abi_decode(types, payload)) if types else ()
        return ContractRevert(name, args, data=data, arg_names=names, tx_hash=tx_hash)


def _abi_type(param: dict[str, Any]) -> str:
    kind = param["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in param["components"])
        return f"({inner}){kind[5:]}"
    return kind


def revert_data(exc: BaseException) -> bytes | None:
    """The raw revert bytes carried by ``exc`` on eth-tester or web3/JSON-RPC, or ``None`` if it is no revert."""
    # web3 (anvil, any JSON-RPC node): ContractCustomError, ContractLogicError, ContractPanicError.
    data = getattr(exc, "data", None)
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    # eth-tester: TransactionFailed("execution reverted: b'...'") with the raw bytes' repr.
    if type(exc).__name__ == "TransactionFailed":
        message = str(exc.args[0]) if exc.args else ""
        prefix = "execution reverted: "
        body = message[len(prefix) :] if message.startswith(prefix) else message
        if body.startswith(("b'", 'b"')):
            try:
                value = ast.literal_eval(body)
            except (ValueError, SyntaxError):
                return b""
            return value if isinstance(value, bytes) else b""
        if body and body != "execution reverted":
            # A plain reason string: encode it as Error(string) so callers see one shape.
            from eth_abi import encode as abi_encode

            return _ERROR_STRING + abi_encode(["string"], [body])
        return b""
    from web3.exceptions import ContractLogicError

    if isinstance(exc, ContractLogicError):
        return b""
    return None


def decode_revert(exc: BaseException, decoder: ErrorDecoder) -> ContractRevert | None:
    """A :class:`ContractRevert` for ``exc`` if it is a revert on either backend, else ``None``."""
    if isinstance(exc, ContractRevert):
        return exc
    data = revert_data(exc)
    if data is None:
        return None
    return decoder.decode(data)
