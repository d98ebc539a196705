"""The token store: encrypted at rest, mode 0600, replaced atomically, clear errors without a key."""

from __future__ import annotations

import os
import stat
import time

import pytest

from hubspot_assets.hubspot.auth import PrivateAppTokenProvider, provider_from_settings
from hubspot_assets.hubspot.errors import ConfigurationError, TokenStoreError
from hubspot_assets.hubspot.settings import ClientSettings
from hubspot_assets.hubspot.token_store import StoredTokens, TokenStore

TOKENS = StoredTokens(access_token="access-AAAA-1111-secret", refresh_token="refresh-BBBB-2222-secret",
                      expires_at=time.time() + 1800, hub_id=62515, scopes=("oauth", "tickets"))


def test_store_is_encrypted_private_and_round_trips(tmp_path):
    store = TokenStore(tmp_path / "sub" / "tokens.enc", "a-long-key-for-tests")
    store.save(TOKENS)
    raw = store.path.read_bytes()
    for secret in (TOKENS.access_token, TOKENS.refresh_token, "62515", "tickets"):
        assert secret.encode() not in raw
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert TokenStore(store.path, "a-long-key-for-tests").load() == TOKENS
    assert [p.name for p in store.path.parent.iterdir()] == ["tokens.enc"]  # no temp files left behind
    assert "secret" not in repr(TOKENS) and "secret" not in repr(store)


def test_a_failed_write_leaves_the_previous_store_intact(tmp_path, monkeypatch):
    store = TokenStore(tmp_path / "tokens.enc", "a-long-key-for-tests")
    store.save(TOKENS)

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        store.save(StoredTokens(access_token="new-access-token-xyz", refresh_token="new-refresh-token-xyz",
                                expires_at=time.time() + 10))
    monkeypatch.undo()
    assert TokenStore(store.path, "a-long-key-for-tests").load() == TOKENS
    assert [p.name for p in store.path.parent.iterdir()] == ["tokens.enc"]


def test_wrong_key_and_missing_key_fail_with_what_to_do(tmp_path):
    store = TokenStore(tmp_path / "tokens.enc", "a-long-key-for-tests")
    store.save(TOKENS)
    with pytest.raises(TokenStoreError) as wrong:
        TokenStore(store.path, "another-key-entirely").load()
    assert "HUBSPOT_TOKEN_KEY" in str(wrong.value)
    with pytest.raises(TokenStoreError) as missing:  # no key and no OS keyring in this environment
        TokenStore(tmp_path / "other.enc", None).save(TOKENS)
    assert "set HUBSPOT_TOKEN_KEY" in str(missing.value)


def test_provider_choice_follows_the_settings():
    private = provider_from_settings(ClientSettings(access_token="pat-na1-abcdef123456"))
    assert isinstance(private, PrivateAppTokenProvider)
    assert "abcdef123456" not in private.rate_limit_key and "abcdef123456" not in repr(private)
    with pytest.raises(ConfigurationError) as caught:
        provider_from_settings(ClientSettings())
    assert "HUBSPOT_ACCESS_TOKEN" in str(caught.value) and "auth login" in str(caught.value)


def test_the_os_keyring_keeps_the_store_key_when_no_key_is_set(tmp_path):
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        """An OS keyring stand-in: what a desktop's Secret Service or macOS Keychain would hold."""

        priority = 1

        def __init__(self) -> None:
            super().__init__()
            self.values: dict[tuple[str, str], str] = {}

        def get_password(self, service, username):
            return self.values.get((service, username))

        def set_password(self, service, username, password):
            self.values[(service, username)] = password

        def delete_password(self, service, username):
            self.values.pop((service, username), None)

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        TokenStore(tmp_path / "tokens.enc", None).save(TOKENS)
        (key,) = backend.values.values()  # a random key was created and kept in the keyring
        assert len(key) >= 32
        raw = (tmp_path / "tokens.enc").read_bytes()
        assert TOKENS.access_token.encode() not in raw and TOKENS.refresh_token.encode() not in raw
        assert TokenStore(tmp_path / "tokens.enc", None).load() == TOKENS  # a later process finds the same key
        assert TokenStore(tmp_path / "tokens.enc", key).load() == TOKENS
    finally:
        keyring.set_keyring(previous)


def test_a_folder_others_can_write_is_reported_with_the_fix_and_a_new_one_is_private(tmp_path, caplog):
    private = TokenStore(tmp_path / "new" / "tokens.enc", "a-long-key-for-tests")
    with caplog.at_level("WARNING"):
        private.save(TOKENS)
    assert stat.S_IMODE(os.stat(private.path.parent).st_mode) == 0o700
    assert "writable by other users" not in caplog.text

    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    with caplog.at_level("WARNING"):
        TokenStore(shared / "tokens.enc", "a-long-key-for-tests").save(TOKENS)
    assert "writable by other users" in caplog.text and f"chmod 700 {shared}" in caplog.text
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o777  # the user's folder is not changed behind their back
    assert TOKENS.access_token not in caplog.text
