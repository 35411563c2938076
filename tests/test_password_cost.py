"""argon2id's cost: production hashes with RFC 9106's low-memory profile; the testing kit switches the
test session to a minimal cost (kernel.sdk.testing), which must never leak into production."""

from __future__ import annotations

import os
import subprocess
import sys

from argon2 import PasswordHasher, Type, extract_parameters, profiles

from kernel.identity import passwords
from kernel.sdk import testing as kit

PRODUCTION_PREFIX = "$argon2id$v=19$m=65536,t=3,p=4$"


def test_production_parameters_are_rfc_9106_low_memory() -> None:
    assert passwords.PARAMETERS == profiles.RFC_9106_LOW_MEMORY
    p = passwords.PARAMETERS
    assert (p.type, p.time_cost, p.memory_cost, p.parallelism, p.salt_len, p.hash_len) == (Type.ID, 3, 65536, 4, 16, 32)
    # the test parameters differ in cost only: still argon2id, same salt and hash lengths
    t = passwords.TEST_PARAMETERS
    assert (t.type, t.salt_len, t.hash_len, t.version) == (p.type, p.salt_len, p.hash_len, p.version)
    assert (t.time_cost, t.memory_cost, t.parallelism) == (1, 1024, 1)


def test_a_process_without_the_testing_kit_hashes_at_production_cost() -> None:
    """What the server does: import the module and hash, with no pytest (and so no kit) involved."""
    code = (
        "from kernel.identity import passwords as p\n"
        "h = p.hash_password('correct horse battery')\n"
        "assert p.verify_password(h, 'correct horse battery') and not p.verify_password(h, 'wrong one')\n"
        "assert not p.verify_password(None, 'correct horse battery')  # an unknown account\n"
        "assert p.current_parameters() == p.PARAMETERS\n"
        "assert all(d.startswith('$argon2id$v=19$m=65536,t=3,p=4$') for d in p._dummy_hashes.values())\n"
        "print(h)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != kit.ARGON2_ENV}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith(PRODUCTION_PREFIX), out.stdout


def test_the_kit_hashes_at_test_cost_and_either_hash_verifies() -> None:
    production = os.environ.get(kit.ARGON2_ENV, "").strip().lower() == "production"
    expected = passwords.PARAMETERS if production else passwords.TEST_PARAMETERS
    assert passwords.current_parameters() == expected
    made = passwords.hash_password("correct horse battery")
    assert extract_parameters(made) == expected
    # a hash records its parameters: a production hash verifies under the test cost and back
    prod_hash = PasswordHasher.from_parameters(passwords.PARAMETERS).hash("correct horse battery")
    assert passwords.verify_password(prod_hash, "correct horse battery")
    assert not passwords.verify_password(prod_hash, "correct horse batterx")
    assert passwords.verify_password(made, "correct horse battery")
    assert not passwords.verify_password(None, "correct horse battery")


def test_use_parameters_switches_and_restores() -> None:
    before = passwords.use_parameters(passwords.PARAMETERS)
    try:
        assert passwords.hash_password("correct horse battery").startswith(PRODUCTION_PREFIX)
    finally:
        assert passwords.use_parameters(before) == passwords.PARAMETERS
    assert passwords.current_parameters() == before
