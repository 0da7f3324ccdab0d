"""Reference codes, PINs, staff passwords and tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kiosk_api.config import get_settings

# Crockford base32: no I, L, O, U, so codes read aloud and typed at a kiosk survive.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CONFUSABLES = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})
_password_hasher = PasswordHasher()
# A real argon2 hash, verified against when the username is unknown so timing does not tell.
_DUMMY_HASH = _password_hasher.hash(secrets.token_urlsafe(16))


def new_code(prefix: str, length: int = 8) -> str:
    """An unguessable code such as `LT7K3M9QXP` (40 random bits after the prefix)."""
    return prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def normalize_code(raw: str) -> str:
    """Accepts what people type: lower case, spaces, dashes, O for 0."""
    cleaned = "".join(ch for ch in raw.upper() if ch.isalnum())
    if len(cleaned) < 3:
        return cleaned
    return cleaned[:2] + cleaned[2:].translate(_CONFUSABLES)


def format_code(code: str) -> str:
    """`LT7K3M9QXP` → `LT-7K3M-9QXP` for display."""
    return f"{code[:2]}-{code[2:6]}-{code[6:]}" if len(code) == 10 else code


def new_pin() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def hash_secret(code: str, secret: str) -> str:
    """Keyed hash of a PIN bound to its code: fast enough for the check-in path, useless without
    the server key."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"{code}:{secret}".encode(), hashlib.sha256).hexdigest()


def secret_matches(code: str, secret: str, stored_hash: str | None) -> bool:
    if stored_hash is None:
        return False
    return hmac.compare_digest(hash_secret(code, secret), stored_hash)


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    try:
        return (
            _password_hasher.verify(password_hash or _DUMMY_HASH, password)
            and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
