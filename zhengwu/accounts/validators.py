"""Password validator that follows the security administrator's policy values."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def character_classes(password: str) -> int:
    return sum((
        any(c.islower() and c.isascii() for c in password),
        any(c.isupper() and c.isascii() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    ))


class PolicyPasswordValidator:
    """Minimum length and character classes from SecurityPolicy (等保 8.1.4.1 a: 口令复杂度)."""

    def validate(self, password, user=None):
        from zhengwu.accounts.selectors import security_policy_get

        policy = security_policy_get()
        errors = []
        if len(password) < policy.password_min_length:
            errors.append(ValidationError(f"密码至少 {policy.password_min_length} 位", code="password_too_short"))
        if character_classes(password) < policy.password_min_classes:
            errors.append(ValidationError(
                f"密码须包含大写字母、小写字母、数字、符号中至少 {policy.password_min_classes} 类",
                code="password_too_simple"))
        if errors:
            raise ValidationError(errors)

    def get_help_text(self):
        from zhengwu.accounts.selectors import security_policy_get

        policy = security_policy_get()
        return (f"密码至少 {policy.password_min_length} 位，包含大写字母、小写字母、数字、符号中至少 "
                f"{policy.password_min_classes} 类。")
