"""Ballot signing and signer recovery: libsecp256k1 (coincurve) against the pure-Python backend.

Every custodial vote signs an EIP-712 ballot and every self-signed one is recovered to its signer
(issue #17 part 2: gateway CPU per ``castVote`` ≤ 10 ms). Both eth-keys backends run in the same
process on the same ballots; the figures are CPU time (``time.process_time``), so a busy machine
slows both alike and the ratio holds.

    python bench/ballot_signing.py [--ballots 300]
"""

from __future__ import annotations

import argparse
import os
import time

from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_typed_data
from eth_keys import KeyAPI
from eth_keys.backends import CoinCurveECCBackend, NativeECCBackend


def ballot(voter: str, proposal: int) -> dict:  # type: ignore[type-arg]
    return {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "chainId", "type": "uint256"}],
            "Ballot": [
                {"name": "proposalId", "type": "uint256"},
                {"name": "support", "type": "uint8"},
                {"name": "voter", "type": "address"},
            ],
        },
        "primaryType": "Ballot",
        "domain": {"name": "OwnersGovernance", "chainId": 31337},
        "message": {"proposalId": proposal, "support": 1, "voter": voter},
    }


def measure(backend: type, ballots: int) -> tuple[float, float]:
    keys = KeyAPI(backend=backend)
    account = Account.create()
    private = keys.PrivateKey(account.key)
    hashes = []
    for i in range(ballots):
        hashes.append(_hash_eip191_message(encode_typed_data(full_message=ballot(account.address, i))))
    started = time.process_time()
    signatures = [keys.ecdsa_sign(h, private) for h in hashes]
    sign = (time.process_time() - started) / ballots
    started = time.process_time()
    for h, sig in zip(hashes, signatures, strict=True):
        assert keys.ecdsa_recover(h, sig).to_checksum_address() == account.address
    recover = (time.process_time() - started) / ballots
    return sign, recover


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=300)
    args = parser.parse_args()
    native = measure(NativeECCBackend, args.ballots)
    fast = measure(CoinCurveECCBackend, args.ballots)
    print(f"{args.ballots} ballots, load average {os.getloadavg()[0]:.1f}; CPU ms per ballot")
    print(f"{'backend':<22}{'sign':>10}{'recover':>10}")
    print(f"{'pure Python (native)':<22}{native[0] * 1000:>10.2f}{native[1] * 1000:>10.2f}")
    print(f"{'coincurve':<22}{fast[0] * 1000:>10.2f}{fast[1] * 1000:>10.2f}")
    print(f"{'speed-up':<22}{native[0] / fast[0]:>9.0f}x{native[1] / fast[1]:>9.0f}x")


if __name__ == "__main__":
    main()
