"""URL configuration: web UI, REST API with its OpenAPI schema, admin, i18n."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from raccordo.access.forms import ThrottledAdminAuthenticationForm, ThrottledAuthenticationForm
from raccordo.exchange.onec import views as onec_views

# The admin's own sign-in page counts with /login/ under the one sign-in limit (finding M4).
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html", redirect_authenticated_user=True,
                                                authentication_form=ThrottledAuthenticationForm),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("raccordo.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # 1C's exchange with a website; the alias is the address 1C offers by default (Bitrix).
    path("bitrix/admin/1c_exchange.php", onec_views.endpoint, name="onec_bitrix"),
    # 1C is often configured without the slash and does not follow a redirect (a POST would lose its body).
    path("exchange/1c", onec_views.endpoint, name="onec_noslash"),
    path("exchange/", include("raccordo.exchange.onec.urls")),
    path("exchange/", include("raccordo.exchange.urls")),
    path("reports/", include("raccordo.reports.urls")),
    path("", include("raccordo.web.urls")),
]
