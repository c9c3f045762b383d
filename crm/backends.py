from django.contrib.auth.backends import ModelBackend

from crm.models import User


class StaffBackend(ModelBackend):
    """Django's backend, loading the signed-in user with their branch: every
    page shows the branch in the header, so it should not cost a query."""

    def get_user(self, user_id):
        try:
            user = User.objects.select_related("branch").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
