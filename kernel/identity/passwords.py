"""argon2id password hashing (argon2-cffi defaults follow RFC 9106's recommendations).

Production always hashes with :data:`PARAMETERS`. The testing kit (``kernel.sdk.testing``) switches the
process to :data:`TEST_PARAMETERS` with :func:`use_parameters` for a test session: tests hash and verify
thousands of passwords, and the production cost (~0.4 s a hash on a loaded CI core) is not what they test.
A hash records its own parameters, so either kind verifies under either setting.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

#: The production parameters: argon2-cffi's defaults, RFC 9106's second recommended option
#: (argon2id, t=3, m=64 MiB, p=4).
PARAMETERS: Parameters = profiles.RFC_9106_LOW_MEMORY
#: The testing kit's parameters — still argon2id with a 16-byte salt, at minimal cost (t=1, m=1 MiB, p=1).
TEST_PARAMETERS: Parameters = Parameters(
    type=PARAMETERS.type,
    version=PARAMETERS.version,
    salt_len=PARAMETERS.salt_len,
    hash_len=PARAMETERS.hash_len,
    time_cost=1,
    memory_cost=1024,
    parallelism=1,
)

_hasher = PasswordHasher.from_parameters(PARAMETERS)


def current_parameters() -> Parameters:
    """The parameters new hashes are made with (:data:`PARAMETERS` unless a test switched them)."""
    h = _hasher
    return Parameters(
        type=h.type,
        version=PARAMETERS.version,
        salt_len=h.salt_len,
        hash_len=h.hash_len,
        time_cost=h.time_cost,
        memory_cost=h.memory_cost,
        parallelism=h.parallelism,
    )


def use_parameters(parameters: Parameters) -> Parameters:
    """Hash new passwords with ``parameters`` from now on (the testing kit's switch); returns the
    parameters in use before. Production never calls it."""
    global _hasher
    previous = current_parameters()
    _hasher = PasswordHasher.from_parameters(parameters)
    return previous


#: parameters -> the hash verified against when the account does not exist, so that timing does not
#: reveal usernames: made with the parameters in use, it costs what a real verification costs.
_dummy_hashes: dict[tuple[object, ...], str] = {}
_dummy_lock = threading.Lock()


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = (hasher.type, hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.hash_len, hasher.salt_len)
    found = _dummy_hashes.get(key)
    if found is None:
        with _dummy_lock:  # one hash per parameters, even when the first unknown logins race
            found = _dummy_hashes.get(key)
            if found is None:
                found = _dummy_hashes[key] = hasher.hash("linli-timing-equaliser")
    return found


def prepare_dummy_hash() -> None:
    """Make the dummy hash of the parameters in use, so that the first unknown login costs no more than
    later ones. A full argon2id hash (~0.3–0.8 s of CPU): the gateway calls it in a worker thread once
    it is serving (``gateway.app``'s lifespan), not at import, which made every command and every
    start-up pay it; a login arriving before it is done waits for it (the lock)."""
    _dummy_hash(_hasher)

MIN_PASSWORD_LENGTH = 8
#: argon2 hashes anything, but a megabyte "password" is a CPU attack, not a password.
MAX_PASSWORD_LENGTH = 256

#: The 10,000 most common passwords, most common first: the first 10,000 lines of Django 5.2's
#: ``django/contrib/auth/common-passwords.txt.gz`` (BSD-3-Clause; compiled by Royce Williams from
#: public breach corpora), lower-cased. It includes the Chinese favourites (5201314, woaini1314).
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt")


@functools.cache
def common_passwords() -> frozenset[str]:
    return frozenset(line.strip() for line in COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines() if line.strip())


def password_problem(password: str, username: str = "") -> str | None:
    """Why the password is refused for a new login, or None (NIST SP 800-63B style: length and a
    blocklist, no composition rules)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password has at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"a password has at most {MAX_PASSWORD_LENGTH} characters"
    folded = password.strip().casefold()
    if username and folded == username.strip().casefold():
        return "the password cannot be the username"
    if folded in common_passwords():
        return "this password is one of the most common ones; choose another"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher = _hasher
    try:
        return hasher.verify(password_hash or _dummy_hash(hasher), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
