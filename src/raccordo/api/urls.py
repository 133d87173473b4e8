"""REST API v1: one router for every app's viewsets, and the token endpoint."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from . import schema  # noqa: F401  (registers drf-spectacular extensions)
from .views.activities import ComplaintViewSet, InteractionViewSet, ReminderViewSet, TaskViewSet
from .views.auth import ObtainTokenView
from .views.catalog import PriceTypeViewSet, PriceViewSet, ProductViewSet, StockLevelViewSet, WarehouseViewSet
from .views.mail import MailboxViewSet, MailFolderViewSet, MailMessageViewSet, MailThreadViewSet
from .views.mail_send import MailReplyView, MailSendView
from .views.marketing import CampaignViewSet, MailingViewSet, SegmentViewSet
from .views.parties import ContactPersonViewSet, CounterpartyViewSet
from .views.sales import DealViewSet, FunnelViewSet, InvoiceViewSet, PaymentViewSet, StageViewSet
from .views.sms import SmsCampaignViewSet, SmsMessageViewSet
from .views.team import CounterpartyHandOverView, DealHandOverView
from .views.telephony import CallViewSet, ClickToCallView
from .views.webhooks import WebhookDeliveryViewSet, WebhookViewSet

router = DefaultRouter()
router.register("counterparties", CounterpartyViewSet, basename="counterparty")
router.register("contacts", ContactPersonViewSet, basename="contact")
router.register("products", ProductViewSet, basename="product")
router.register("price-types", PriceTypeViewSet, basename="price-type")
router.register("prices", PriceViewSet, basename="price")
router.register("warehouses", WarehouseViewSet, basename="warehouse")
router.register("stock-levels", StockLevelViewSet, basename="stock-level")
router.register("funnels", FunnelViewSet, basename="funnel")
router.register("stages", StageViewSet, basename="stage")
router.register("deals", DealViewSet, basename="deal")
router.register("invoices", InvoiceViewSet, basename="invoice")
router.register("payments", PaymentViewSet, basename="payment")
router.register("tasks", TaskViewSet, basename="task")
router.register("interactions", InteractionViewSet, basename="interaction")
router.register("complaints", ComplaintViewSet, basename="complaint")
router.register("reminders", ReminderViewSet, basename="reminder")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
router.register("sms", SmsMessageViewSet, basename="sms")
router.register("sms-campaigns", SmsCampaignViewSet, basename="sms-campaign")
router.register("segments", SegmentViewSet, basename="segment")
router.register("mailings", MailingViewSet, basename="mailing")
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("mailboxes", MailboxViewSet, basename="mailbox")
router.register("mail-folders", MailFolderViewSet, basename="mail-folder")
router.register("mail-threads", MailThreadViewSet, basename="mail-thread")
router.register("mail-messages", MailMessageViewSet, basename="mail-message")
router.register("calls", CallViewSet, basename="call")

app_name = "api"
urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="auth-token"),
    path("hand-over/counterparties/", CounterpartyHandOverView.as_view(), name="hand-over-counterparties"),
    path("hand-over/deals/", DealHandOverView.as_view(), name="hand-over-deals"),
    path("mail/send/", MailSendView.as_view(), name="mail-send"),
    path("mail-messages/<uuid:pk>/reply/", MailReplyView.as_view(), name="mail-reply"),
    path("calls/click-to-call/", ClickToCallView.as_view(), name="click-to-call"),
    *router.urls,
]
