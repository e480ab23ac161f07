"""CORS for the JSON API: the static site's origins (``GOVSITE_CORS_ORIGINS``) and nothing else.

Only paths under ``/api/`` get CORS headers; a preflight from an allowed origin is answered here
without reaching the view; any other origin gets no Access-Control-* header (the browser blocks it).
"""

from django.conf import settings
from django.http import HttpResponse

ALLOWED_HEADERS = "Content-Type, Idempotency-Key, Accept, Accept-Language"
ALLOWED_METHODS = "GET, POST, OPTIONS"


class ApiCorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        origin = request.headers.get("Origin")
        allowed = origin is not None and origin in set(getattr(settings, "GOVSITE_CORS_ORIGINS", ()))
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response = HttpResponse(status=204 if allowed else 403)
            if allowed:
                response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
                response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
                response["Access-Control-Max-Age"] = "86400"
        else:
            response = self.get_response(request)
        if allowed:
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Expose-Headers"] = "Idempotency-Key"
        if origin is not None:
            vary = response.get("Vary")
            response["Vary"] = f"{vary}, Origin" if vary else "Origin"
        return response
