"""SMS provider adapters by name; `provider_for(settings)` builds the configured one."""

from __future__ import annotations

from .base import ProviderConfig, ProviderError, ProviderUnavailable, SmsProvider, StatusReport
from .smsru import SmsRu

ADAPTERS = {"smsru": SmsRu}


def provider_for(sms_settings) -> SmsProvider:
    """The adapter of the provider the settings name, configured with their key, sender and address."""
    adapter = ADAPTERS[sms_settings.provider]
    return adapter(ProviderConfig(api_token=sms_settings.api_token, sender=sms_settings.sender,
                                  base_url=sms_settings.base_url))


__all__ = ["ADAPTERS", "ProviderConfig", "ProviderError", "ProviderUnavailable", "SmsProvider", "StatusReport",
           "provider_for"]
