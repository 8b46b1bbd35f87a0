"""The upload form's requests for sending files straight to the bucket (``jobs.storage.direct``).

JSON in, JSON out, for static/js/lectern.js; the job itself is made by the form's usual POST with
the upload's token instead of the file. Without object storage (or without JavaScript) the form
sends the file to the web server as it always did.
"""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from jobs.storage import direct


def _body(request: HttpRequest) -> dict[str, object]:
    try:
        data = json.loads(request.body or b"null")
    except (ValueError, RecursionError):
        data = None
    return data if isinstance(data, dict) else {}


@login_required
@require_POST
def upload_start(request: HttpRequest) -> JsonResponse:
    data = _body(request)
    try:
        size = int(data.get("size"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return JsonResponse({"error": "Say the file's name and size."}, status=400)
    try:
        signed = direct.upload_start(
            user_id=request.user.pk, filename=str(data.get("name") or "upload"), size=size
        )
    except direct.UploadRefused as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse(signed)


@login_required
@require_POST
def upload_complete(request: HttpRequest) -> JsonResponse:
    data = _body(request)
    etags = data.get("etags")
    if not isinstance(etags, list) or not all(isinstance(tag, str) for tag in etags):
        return JsonResponse({"error": "Send the parts' ETags in order."}, status=400)
    try:
        direct.upload_complete(user_id=request.user.pk, token=str(data.get("token")), etags=etags)
    except direct.UploadRefused as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"ok": True})
