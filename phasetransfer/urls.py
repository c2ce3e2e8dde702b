from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from phasetransfer.forms import SignInForm
from phasetransfer.views import family, public, staff

urlpatterns = [
    path("", public.start, name="start"),
    path("home/", public.home, name="home"),
    path(
        "sign-in/",
        auth_views.LoginView.as_view(
            template_name="phasetransfer/sign_in.html",
            authentication_form=SignInForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    path("sign-out/", auth_views.LogoutView.as_view(next_page="start"), name="logout"),
    path("staff/rounds/", staff.rounds, name="staff-rounds"),
    path("family/", family.home, name="family-home"),
    path("admin/", admin.site.urls),
]
