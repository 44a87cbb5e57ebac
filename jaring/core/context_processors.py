from django.conf import settings
from django.http import HttpRequest


def jaring(request: HttpRequest) -> dict[str, object]:
    return {"office_name": settings.JARING_OFFICE_NAME}
