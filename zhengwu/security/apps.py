from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """Cross-cutting HTTP security: rate limits, CSP, backups; also connects the TOTP login step."""

    name = "zhengwu.security"
    verbose_name = "安全"

    def ready(self) -> None:
        # The accounts app's own ready() is not ours to edit; importing the module here connects
        # its user_logged_in receiver that starts the second-factor step.
        from zhengwu.accounts import otp  # noqa: F401
