"""The API's Swagger page, served so that the site-wide Content-Security-Policy holds on it too."""

from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.exceptions import NotAuthenticated


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script fetched from this same view (`?script`) instead of inline.

    The page's template also drops drf-spectacular's inline <style>, which the
    policy would block, for a static stylesheet.
    """

    template_name = "crm/api_docs.html"

    def handle_exception(self, exc):
        # A person who opens the docs page signed out gets the login page, as everywhere
        # else in the CRM; the script and the schema answer 401/403 like any API call.
        if isinstance(exc, NotAuthenticated) and "script" not in self.request.GET:
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
