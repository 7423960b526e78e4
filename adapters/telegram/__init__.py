"""Telegram adapter (python-telegram-bot 22): updates → events, decisions → Bot API calls."""

from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.settings import SettingsError, TelegramSettings

__all__ = ["SettingsError", "TelegramAdapter", "TelegramSettings"]
