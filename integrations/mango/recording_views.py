"""A call's recording played on the client's card: through the CRM, access-checked and audited,
never a link to Mango or to the storage."""

import os

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.views.decorators.http import require_GET

from crm.http import client_ip
from integrations.mango import recordings


@login_required
@require_GET
def recording_view(request, pk: int):
    recording = recordings.recording_get_for_user(request.user, pk)
    recordings.recording_listened(recording=recording, by=request.user, ip=client_ip(request))
    # Inline with its own type, so the card's <audio> element plays it; «Скачать» saves it under this name.
    return FileResponse(
        recording.file.open("rb"),
        content_type=recording.content_type or recordings.DEFAULT_CONTENT_TYPE,
        filename=os.path.basename(recording.file.name),
    )
