"""URL configuration: web UI, REST API with its OpenAPI schema, admin, i18n."""

from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from raccordo.access.forms import ThrottledAdminAuthenticationForm
from raccordo.exchange.onec import views as onec_views
from raccordo.staff import intranet as staff_intranet
from raccordo.staff import views as staff_views
from raccordo.web.views import access as web_access

# The admin's own sign-in page counts with /login/ under the one sign-in limit (finding M4).
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("login/", web_access.LoginView.as_view(), name="login"),
    # Password reset by e-mail (404 unless e-mail is configured); Django's names, which its views expect.
    path("password/reset/", web_access.password_reset_view, name="password_reset"),
    path("password/reset/sent/", web_access.password_reset_done_view, name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", web_access.password_reset_confirm_view, name="password_reset_confirm"),
    path("password/reset/done/", web_access.password_reset_complete_view, name="password_reset_complete"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("raccordo.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file, so the page needs no inline script; Swagger
    # UI styles itself with a <style> element, allowed on this page only.
    path("api/docs/", csp_update({"style-src": ["'unsafe-inline'"]})(
        SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    # 1C's exchange with a website; the alias is the address 1C offers by default (Bitrix).
    path("bitrix/admin/1c_exchange.php", onec_views.endpoint, name="onec_bitrix"),
    # Staff from 1C:ZUP: the two addresses Bitrix's intranet module installs, and Raccordo's own beside them.
    path("bitrix/admin/1c_intranet_hr.php", staff_views.hrxml_endpoint, name="staff_hrxml_bitrix"),
    path("exchange/hr/hrxml/", staff_views.hrxml_endpoint, name="staff_hrxml"),
    path("bitrix/admin/1c_intranet.php", staff_intranet.company_endpoint, name="staff_company_bitrix"),
    path("exchange/hr/company/", staff_intranet.company_endpoint, name="staff_company"),
    # 1C is often configured without the slash and does not follow a redirect (a POST would lose its body).
    path("exchange/1c", onec_views.endpoint, name="onec_noslash"),
    path("exchange/", include("raccordo.exchange.onec.urls")),
    path("exchange/", include("raccordo.exchange.urls")),
    path("reports/", include("raccordo.reports.urls")),
    path("documents/", include("raccordo.documents.urls")),
    path("sms/", include("raccordo.sms.urls")),
    path("staff/", include("raccordo.staff.urls")),
    path("segments/", include("raccordo.segments.urls")),
    path("campaigns/", include("raccordo.campaigns.urls")),
    path("processes/", include("raccordo.processes.urls")),
    path("mail/", include("raccordo.mail.urls")),
    path("telephony/", include("raccordo.telephony.urls")),
    path("", include("raccordo.operations.urls")),
    path("", include("raccordo.web.urls")),
]
