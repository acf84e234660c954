"""A platform app's key and secret (and a tool app's tokens), kept in the OS keyring (Windows Credential Manager,
macOS Keychain, the Secret Service on Linux), never in the store or a settings file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from livedesk.services.sync.douyin_auth import TokenSet

SERVICE = "LiveDesk"


class CredentialsError(RuntimeError):
    """No keyring to keep them in, or nothing kept yet; ``code`` says which."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # no_keyring | missing


@dataclass(frozen=True)
class AppCredentials:
    app_key: str
    app_secret: str

    def __repr__(self) -> str:  # never the secret in a log line or a traceback
        return f"AppCredentials(app_key={self.app_key!r}, app_secret='***')"


def _keyring():
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError as exc:  # a build without it
        raise CredentialsError("no_keyring", "the keyring package is not installed") from exc
    return keyring, KeyringError


def save(platform: str, credentials: AppCredentials) -> None:
    keyring, error = _keyring()
    try:
        keyring.set_password(SERVICE, platform, json.dumps({"app_key": credentials.app_key,
                                                            "app_secret": credentials.app_secret}))
    except error as exc:
        raise CredentialsError("no_keyring", f"the OS keyring refused to keep them: {exc}") from exc


def load(platform: str) -> AppCredentials:
    keyring, error = _keyring()
    try:
        kept = keyring.get_password(SERVICE, platform)
    except error as exc:
        raise CredentialsError("no_keyring", f"the OS keyring cannot be read: {exc}") from exc
    if not kept:
        raise CredentialsError("missing", f"no app key and secret kept for {platform}: enter them first")
    data = json.loads(kept)
    return AppCredentials(data["app_key"], data["app_secret"])


def forget(platform: str) -> None:
    keyring, error = _keyring()
    try:
        keyring.delete_password(SERVICE, platform)
    except error:
        pass  # nothing kept: nothing to forget


class KeyringTokens:
    """A tool app's tokens for one platform, kept in the OS keyring beside the app's key and
    secret (a refresh token is as good as a password to the shop's orders)."""

    def __init__(self, platform: str) -> None:
        self.name = f"{platform}.tokens"

    def load(self) -> TokenSet | None:
        from livedesk.services.sync.douyin_auth import TokenSet

        keyring, error = _keyring()
        try:
            kept = keyring.get_password(SERVICE, self.name)
        except error as exc:
            raise CredentialsError("no_keyring", f"the OS keyring cannot be read: {exc}") from exc
        return TokenSet.from_json(kept) if kept else None

    def save(self, tokens: TokenSet) -> None:
        keyring, error = _keyring()
        try:
            keyring.set_password(SERVICE, self.name, tokens.to_json())
        except error as exc:
            raise CredentialsError("no_keyring", f"the OS keyring refused to keep them: {exc}") from exc

    def forget(self) -> None:
        forget(self.name)
