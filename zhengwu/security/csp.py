"""Content-Security-Policy on every response that has none yet.

Scripts only from our own origin, never inline (the templates load portal.js, htmx and ECharts as
files). Styles allow 'unsafe-inline' because the supervision screen and the licence check page
carry inline <style> blocks; a style cannot run code, so the script rule is what keeps injected
markup inert. frame-ancestors repeats X-Frame-Options: DENY for browsers that prefer CSP.
"""

from __future__ import annotations

from django.conf import settings

DEFAULT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "ZHENGWU_CSP", DEFAULT_POLICY)
        self.header = ("Content-Security-Policy-Report-Only" if getattr(settings, "ZHENGWU_CSP_REPORT_ONLY", False)
                       else "Content-Security-Policy")

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy and "Content-Security-Policy" not in response and self.header not in response:
            response[self.header] = self.policy
        return response
