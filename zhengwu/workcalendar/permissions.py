"""Who may maintain the calendar and use the staff tools.

The calendar is national reference data (the State Council notice), so only the system
administrator edits it; regional days off are local reference data, which the centre
administrator of that county also maintains. Any signed-in staff member may use the deadline
calculator; applicants get the public API instead.
"""

from __future__ import annotations

import rules

from zhengwu.accounts.permissions import is_auditadmin, is_secadmin, is_staff_member, is_sysadmin
from zhengwu.org.permissions import is_centre_admin

can_manage_calendar = is_sysadmin
can_manage_regional_days = is_sysadmin | is_centre_admin
can_view_calendar_admin = is_sysadmin | is_secadmin | is_centre_admin
can_view_clock_ledger = is_sysadmin | is_auditadmin
can_use_deadline_calculator = is_staff_member

rules.add_perm("workcalendar.use_deadline_calculator", can_use_deadline_calculator)
