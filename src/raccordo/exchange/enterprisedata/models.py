"""What an EnterpriseData node needs beyond ExchangeNode: the codes 1C and we go by, versions, sent messages.

The message counters themselves are the node's own (`ExchangeNode.last_sent_no` / `last_received_no`), and
the acknowledged journal position is its `export_cursor`, as for every other peer.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from raccordo.core.models import BaseModel
from raccordo.exchange.formats.enterprisedata.counterparties import VERSIONS
from raccordo.exchange.formats.enterprisedata.envelope import EXCHANGE_PLAN


def default_versions() -> list[str]:
    return list(VERSIONS)


class Transport(models.TextChoices):
    """Where messages travel (1C's ТранспортСообщенийОбмена FILE and FTP; 1C's web service EnterpriseDataExchange)."""

    FOLDER = "folder", _("Folder")
    FTP = "ftp", _("FTP")
    WS = "ws", _("1C web service")


class EnterpriseDataPeer(BaseModel):
    """One 1C base reached by EnterpriseData: the node codes of both sides, the versions, what 1C said it has.

    `our_code` is the code 1C's synchronisation settings give this CRM (1C writes it in To and in its file
    names), `peer_code` the code of 1C's own node (its From). `format_version` is the highest version both
    sides list (1C's МаксимальнаяОбщаяВерсияФормата); empty until 1C's header has been read.

    Messages travel through the node's folder (`transport` folder), an FTP directory or 1C's web service
    EnterpriseDataExchange_1_0_1_1 (`ws_url`, the 1C user `ws_user`); `ftp_password` and `ws_password` are kept
    as given because they must be sent to the server, so they are not editable in forms and are never shown
    or exported. `compress` zips our messages as 1C's "compress files" option does (the web service always zips).
    """

    node = models.OneToOneField("exchange.ExchangeNode", on_delete=models.CASCADE, related_name="enterprisedata",
                                verbose_name=_("exchange node"))
    our_code = models.CharField(_("our node code in 1C"), max_length=64)
    peer_code = models.CharField(_("1C's node code"), max_length=64)
    prefix = models.CharField(_("our infobase prefix"), max_length=8, blank=True, default="RC")
    versions = models.JSONField(_("format versions we accept"), default=default_versions)
    format_version = models.CharField(_("format version in use"), max_length=8, blank=True)
    peer_versions = models.JSONField(_("format versions 1C lists"), default=list, blank=True)
    peer_object_types = models.JSONField(_("object types 1C lists"), null=True, blank=True,
                                         help_text=_("[name, sending, receiving] rows; null: 1C sent no list."))
    peer_prefix = models.CharField(_("1C's infobase prefix"), max_length=8, blank=True)
    peer_exchange_plan = models.CharField(_("1C's exchange plan"), max_length=150, blank=True,
                                          default=EXCHANGE_PLAN)
    transport = models.CharField(_("transport"), max_length=8, choices=Transport.choices, default=Transport.FOLDER)
    compress = models.BooleanField(_("compress messages to ZIP"), default=False)
    ftp_host = models.CharField(_("FTP server"), max_length=255, blank=True)
    ftp_port = models.PositiveIntegerField(_("FTP port"), default=21)
    ftp_user = models.CharField(_("FTP user"), max_length=150, blank=True)
    # Not hashed (it is sent to the server), not editable (no form or export shows it back).
    ftp_password = models.CharField(_("FTP password"), max_length=256, blank=True, editable=False)
    ftp_dir = models.CharField(_("FTP directory"), max_length=500, blank=True)
    ftp_tls = models.BooleanField(_("FTP over TLS (FTPS)"), default=False)
    ws_url = models.CharField(_("1C web service address"), max_length=500, blank=True,
                              help_text=_("…/ws/EnterpriseDataExchange_1_0_1_1.1cws of 1C's web publication."))
    ws_user = models.CharField(_("1C user for the web service"), max_length=150, blank=True)
    # As ftp_password: sent to 1C, so kept as given and never shown.
    ws_password = models.CharField(_("1C user's password"), max_length=256, blank=True, editable=False)

    class Meta:
        verbose_name = _("EnterpriseData peer")
        verbose_name_plural = _("EnterpriseData peers")

    def __str__(self) -> str:
        return f"{self.our_code} <-> {self.peer_code}"


class SentMessage(models.Model):
    """A data message we sent and 1C has not confirmed yet, with the journal position it carried changes up to.

    When 1C's ReceivedNo reaches `number`, the node's acknowledged position moves to `journal_seq` and the row
    goes: 1C's own rule (ОбработатьПолучениеПодтвержденияОтКорреспондента) on our side.
    """

    id = models.BigAutoField(primary_key=True)
    node = models.ForeignKey("exchange.ExchangeNode", on_delete=models.CASCADE, related_name="+")
    number = models.PositiveBigIntegerField()
    journal_seq = models.PositiveBigIntegerField()
    objects_count = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("EnterpriseData message sent")
        verbose_name_plural = _("EnterpriseData messages sent")
        constraints = [models.UniqueConstraint(fields=["node", "number"], name="ed_sent_message_unique")]

    def __str__(self) -> str:
        return f"{self.node_id} #{self.number}"
