"""The OAuth token store: encrypted at rest, private to the user, replaced atomically.

File (`ClientSettings.token_store_path`, mode 0600 in a 0700 directory) holds a small JSON envelope:
`{"v": 1, "kdf": "pbkdf2-sha256", "iterations": N, "salt": "<b64>", "data": "<Fernet token>"}`.
The Fernet key is derived from `HUBSPOT_TOKEN_KEY` with PBKDF2 and a random salt per file. Without
`HUBSPOT_TOKEN_KEY`, the OS keyring (the optional `keyring` package) keeps a random key; with neither, the
store refuses to work and says to set `HUBSPOT_TOKEN_KEY`. Writes go to a temp file in the same directory,
are fsynced, then `os.replace`d over the store, so a crash leaves the old or the new store, never half of one.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from hubspot_assets.hubspot.errors import TokenStoreError
from hubspot_assets.hubspot.logging import AUTH_LOGGER, get_logger, register_secret
from hubspot_assets.hubspot.settings import ClientSettings

KEYRING_SERVICE = "hubspot-elt"
KEYRING_USER = "token-store-key"
PBKDF2_ITERATIONS = 200_000


@dataclass(frozen=True)
class StoredTokens:
    """What `auth login` stored. Tokens are hidden from repr."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: float  # epoch seconds
    hub_id: int | None = None
    scopes: tuple[str, ...] = ()
    token_type: str = "bearer"
    obtained_at: float = 0.0
    client_id: str | None = None

    @classmethod
    def from_token_answer(cls, data: dict[str, Any], *, client_id: str | None = None, now: float | None = None) -> StoredTokens:
        """Tokens from the token endpoint's answer (`expires_in` seconds from now)."""
        now = time.time() if now is None else now
        scopes = data.get("scopes") or data.get("scope") or ()
        if isinstance(scopes, str):
            scopes = scopes.split()
        hub_id = data.get("hub_id") or data.get("hubId")
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=str(data.get("refresh_token") or ""),
            expires_at=now + float(data.get("expires_in") or 1800),
            hub_id=int(hub_id) if hub_id is not None else None,
            scopes=tuple(str(s) for s in scopes),
            token_type=str(data.get("token_type") or "bearer"),
            obtained_at=now,
            client_id=client_id,
        )

    def updated(self, data: dict[str, Any], now: float | None = None) -> StoredTokens:
        """These tokens after a refresh answer (keeps the refresh token when HubSpot sends none)."""
        fresh = StoredTokens.from_token_answer({**data, "refresh_token": data.get("refresh_token") or self.refresh_token},
                                               client_id=self.client_id, now=now)
        return dataclasses.replace(
            fresh,
            hub_id=fresh.hub_id if fresh.hub_id is not None else self.hub_id,
            scopes=fresh.scopes or self.scopes,
        )

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["scopes"] = list(self.scopes)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoredTokens:
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["scopes"] = tuple(values.get("scopes") or ())
        return cls(**values)


def _keyring_key(create: bool) -> str | None:
    try:
        import keyring  # optional dependency
        from keyring.backends import fail
    except Exception:
        return None
    try:
        if isinstance(keyring.get_keyring(), fail.Keyring):
            return None
        value = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
        if value is None and create:
            value = secrets.token_urlsafe(32)
            keyring.set_password(KEYRING_SERVICE, KEYRING_USER, value)
        return value
    except Exception:
        return None


class TokenStore:
    """Encrypted, atomically replaced token file. Thread-safe; processes coordinate refreshes via auth.py's lock."""

    def __init__(self, path: Path, key: str | None) -> None:
        self.path = Path(path)
        self._passphrase = key
        self._derived: dict[bytes, Fernet] = {}
        self._salt: bytes | None = None  # reused across saves: PBKDF2 is deliberately slow
        self._lock = threading.Lock()
        register_secret(key)

    @classmethod
    def from_settings(cls, settings: ClientSettings) -> TokenStore:
        key = settings.token_key.get_secret_value() if settings.token_key is not None else None
        return cls(settings.absolute(settings.token_store_path), key)

    def ensure_key(self) -> None:
        """Make sure there is a key to encrypt with (HUBSPOT_TOKEN_KEY, or one the OS keyring keeps, created there
        if need be); `TokenStoreError` saying what to set when there is none. `auth login` calls it before the
        browser step, so a missing key fails at once instead of after the user approved the app."""
        self._key(create=True)

    def _key(self, create: bool) -> str:
        if self._passphrase:
            return self._passphrase
        value = _keyring_key(create)
        if value:
            register_secret(value)
            self._passphrase = value
            return value
        raise TokenStoreError(
            "no key to encrypt the OAuth token store: set HUBSPOT_TOKEN_KEY to a long random secret "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`), or install `keyring` "
            "with a working OS keyring"
        )

    def _fernet(self, salt: bytes, iterations: int, create: bool) -> Fernet:
        cache_key = salt + iterations.to_bytes(4, "big")
        if cache_key not in self._derived:
            kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=iterations)
            raw = kdf.derive(self._key(create).encode())
            self._derived[cache_key] = Fernet(base64.urlsafe_b64encode(raw))
        return self._derived[cache_key]

    def exists(self) -> bool:
        return self.path.exists()

    def load(self) -> StoredTokens | None:
        """The stored tokens, or None when there is no store. Raises `TokenStoreError` if it cannot be read."""
        with self._lock:
            try:
                envelope = json.loads(self.path.read_text())
            except FileNotFoundError:
                return None
            except (OSError, ValueError) as exc:
                raise TokenStoreError(
                    f"the token store {self.path} is unreadable ({type(exc).__name__})",
                    hint="delete it and run `hubspot-elt auth login`",
                ) from None
            try:
                salt = base64.b64decode(envelope["salt"])
                iterations = int(envelope.get("iterations", PBKDF2_ITERATIONS))
                fernet = self._fernet(salt, iterations, create=False)
                if iterations == PBKDF2_ITERATIONS:
                    self._salt = salt
                plain = fernet.decrypt(envelope["data"].encode())
                tokens = StoredTokens.from_json(json.loads(plain))
            except InvalidToken:
                raise TokenStoreError(
                    f"the token store {self.path} cannot be decrypted with this HUBSPOT_TOKEN_KEY",
                    hint="use the key it was written with, or run `hubspot-elt auth login` to start over",
                ) from None
            except (KeyError, ValueError, TypeError) as exc:
                raise TokenStoreError(
                    f"the token store {self.path} is damaged ({type(exc).__name__})",
                    hint="run `hubspot-elt auth login`",
                ) from None
        register_secret(tokens.access_token)
        register_secret(tokens.refresh_token)
        return tokens

    def save(self, tokens: StoredTokens) -> None:
        """Encrypt and atomically replace the store (file mode 0600)."""
        register_secret(tokens.access_token)
        register_secret(tokens.refresh_token)
        with self._lock:
            salt = self._salt or os.urandom(16)
            self._salt = salt
            fernet = self._fernet(salt, PBKDF2_ITERATIONS, create=True)
            envelope = {
                "v": 1,
                "kdf": "pbkdf2-sha256",
                "iterations": PBKDF2_ITERATIONS,
                "salt": base64.b64encode(salt).decode(),
                "data": fernet.encrypt(json.dumps(tokens.to_json()).encode()).decode(),
            }
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            _warn_if_others_can_write(self.path.parent)
            fd, tmp = tempfile.mkstemp(prefix=".tokens-", suffix=".tmp", dir=self.path.parent)
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "w") as fh:
                    json.dump(envelope, fh)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except FileNotFoundError:
                    pass
                raise
            _fsync_dir(self.path.parent)

    def delete(self) -> bool:
        """Remove the store; True when there was one."""
        with self._lock:
            try:
                self.path.unlink()
                return True
            except FileNotFoundError:
                return False

    def __repr__(self) -> str:
        return f"TokenStore(path={str(self.path)!r})"


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _warn_if_others_can_write(folder: Path) -> None:
    """The token file is 0600, but whoever can write its folder can swap it: say so once per save (a folder this
    store created is 0700; an existing one is the user's to tighten, not ours to chmod)."""
    try:
        mode = folder.stat().st_mode
    except OSError:
        return
    if os.name == "posix" and mode & 0o022:
        get_logger(AUTH_LOGGER).warning(
            "the token store's folder %s is writable by other users (mode %o): run `chmod 700 %s` or set "
            "HUBSPOT_TOKEN_STORE_PATH to a private folder", folder, mode & 0o777, folder,
        )
