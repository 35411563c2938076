"""argon2id password hashing (argon2-cffi defaults follow RFC 9106's recommendations)."""

from __future__ import annotations

import functools
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
#: Verified against when the account does not exist, so timing does not reveal usernames.
_DUMMY_HASH = _hasher.hash("linli-timing-equaliser")

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
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
