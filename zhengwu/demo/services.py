"""seed_demo: a realistic county built only through the apps' services, safe to run again.

Every step looks its rows up by natural key (region code, USCC, centre and window number,
username) and creates only what is missing, so a second run writes nothing at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from pypinyin import lazy_pinyin

from zhengwu.accounts.models import User
from zhengwu.accounts.services import user_create, user_set_admin_role
from zhengwu.demo import data
from zhengwu.org import services as org
from zhengwu.org.identifiers import uscc_build
from zhengwu.org.models import (
    Absence,
    BackupPost,
    Department,
    Position,
    Region,
    ServiceCentre,
    StaffPost,
    Window,
)

ACTOR = "seed_demo"


@dataclass
class DemoSummary:
    created: dict[str, int] = field(default_factory=dict)
    calendar: str = ""
    catalog: str = ""
    notes: list[str] = field(default_factory=list)

    def add(self, kind: str, n: int = 1) -> None:
        self.created[kind] = self.created.get(kind, 0) + n

    @property
    def total(self) -> int:
        return sum(self.created.values())

    def lines(self) -> list[str]:
        labels = {"region": "行政区划", "centre": "服务中心", "department": "部门", "window": "窗口",
                  "user": "用户", "post": "人员岗位", "backup_post": "AB岗", "absence": "缺岗登记"}
        out = ["演示数据（清溪县）/ demo county:"]
        out += [f"  新建{labels.get(k, k)} {v}" for k, v in self.created.items() if v]
        if not self.total:
            out.append("  组织与人员数据已存在，未作修改 / org data already loaded, nothing changed")
        if self.calendar:
            out.append(f"  工作日历：{self.calendar}")
        if self.catalog:
            out.append(f"  事项目录：{self.catalog}")
        out += [f"  {note}" for note in self.notes]
        return out


def department_uscc(index: int, category: str) -> str:
    """The department's USCC: registered in the county (330729), organisation code body from its index."""
    return uscc_build(prefix=category, region_code=data.COUNTY[0], org_body=f"0729{index + 1:04d}")


class _Seeder:
    def __init__(self, actor, summary: DemoSummary):
        self.actor = actor
        self.summary = summary
        self.names_seen: dict[str, int] = {}
        self.person_index = 0

    # --- org ------------------------------------------------------------------------------------
    def region(self, code: str, name: str) -> Region:
        region = Region.objects.filter(code=code).first()
        if region is None:
            region = org.region_create(actor=self.actor, code=code, name=name)
            self.summary.add("region")
        return region

    def centre(self, name: str, kind: str, region: Region, parent: ServiceCentre | None = None,
               **extra: Any) -> ServiceCentre:
        centre = ServiceCentre.objects.filter(region=region, name=name).first()
        if centre is None:
            centre = org.centre_create(actor=self.actor, name=name, kind=kind, region=region, parent=parent, **extra)
            self.summary.add("centre")
        return centre

    def department(self, **values: Any) -> Department:
        department = Department.objects.filter(uscc=values["uscc"]).first()
        if department is None:
            department = org.department_create(actor=self.actor, **values)
            self.summary.add("department")
        return department

    def window(self, centre: ServiceCentre, number: str, name: str,
               department: Department | None = None) -> Window:
        window = Window.objects.filter(centre=centre, number=number).first()
        if window is None:
            window = org.window_create(actor=self.actor, centre=centre, number=number, name=name,
                                       department=department, is_comprehensive=department is None)
            self.summary.add("window")
        return window

    # --- people ---------------------------------------------------------------------------------
    def user(self, username: str, real_name: str, *, password: str | None, kind: str = User.Kind.STAFF,
             phone: str = "") -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(actor=self.actor, username=username, password=password, real_name=real_name,
                               phone=phone, kind=kind, must_change_password=False if password else None,
                               password_never_expires=bool(password))
            self.summary.add("user")
        return user

    def staff_member(self) -> User:
        """The next deterministic staff member: Chinese name, pinyin username, no password yet."""
        name = data.person_name(self.person_index)
        self.person_index += 1
        base = "".join(lazy_pinyin(name))
        seen = self.names_seen.get(base, 0)
        self.names_seen[base] = seen + 1
        # The same sequence on every run gives the same usernames, so a re-run finds them all.
        return self.user(base if not seen else f"{base}{seen + 1}", name, password=None)

    def post(self, user: User, position: str, *, department: Department | None = None,
             centre: ServiceCentre | None = None, window: Window | None = None) -> StaffPost:
        post = StaffPost.objects.filter(user=user, position=position, department=department, centre=centre,
                                        is_active=True).first()
        if post is None:
            post = org.staff_post_create(actor=self.actor, user=user, position=position, department=department,
                                         centre=centre, window=window)
            self.summary.add("post")
        return post

    def backup(self, primary: StaffPost, backup: StaffPost) -> None:
        if not BackupPost.objects.filter(primary=primary, backup=backup).exists():
            org.backup_post_create(actor=self.actor, primary=primary, backup=backup)
            self.summary.add("backup_post")


def _demo_login_map() -> dict[str, tuple[str, str]]:
    return {role: (username, name) for username, name, _label, role in data.DEMO_LOGINS}


def demo_seed(*, actor=ACTOR, with_calendar: bool = True, with_catalog: bool = True) -> DemoSummary:
    summary = DemoSummary()
    logins = _demo_login_map()
    with transaction.atomic():
        seed = _Seeder(actor, summary)

        # 行政区划: 省 → 市 → 县 → 乡镇街道 → 村社区
        seed.region(*data.PROVINCE)
        seed.region(*data.PREFECTURE)
        county = seed.region(*data.COUNTY)
        townships = {}
        for code, name, villages in data.TOWNSHIPS:
            townships[code] = seed.region(code, name)
            for suffix, village in villages:
                seed.region(code + suffix, village)

        # 中心 → 分中心 → 便民服务中心 → 便民服务室
        main = seed.centre(data.CENTRE["name"], ServiceCentre.Kind.COUNTY, county,
                           address=data.CENTRE["address"], opening_hours=data.CENTRE["opening_hours"],
                           phone=data.CENTRE["phone"], complaint_phone=data.CENTRE["complaint_phone"])
        centres = {"main": main}
        for key, (name, address) in data.BRANCHES.items():
            centres[key] = seed.centre(name, ServiceCentre.Kind.BRANCH, county, parent=main, address=address,
                                       opening_hours=data.CENTRE["opening_hours"], phone=data.CENTRE["phone"],
                                       complaint_phone=data.CENTRE["complaint_phone"])
        township_centres = {}
        for code, name, _ in data.TOWNSHIPS:
            township_centres[code] = seed.centre(f"{name}便民服务中心", ServiceCentre.Kind.TOWNSHIP,
                                                 townships[code], parent=main,
                                                 opening_hours="周一至周五 8:30–12:00、14:00–17:30",
                                                 complaint_phone=data.CENTRE["complaint_phone"])
            seed.window(township_centres[code], "01", "综合受理窗口")
        for code in data.VILLAGE_ROOMS:
            village_region = Region.objects.get(code=code)
            room = seed.centre(f"{village_region.name}便民服务室", ServiceCentre.Kind.VILLAGE, village_region,
                               parent=township_centres[code[:9]], opening_hours="周一至周五 8:30–11:30、14:00–17:00")
            seed.window(room, "01", "代办服务窗口")

        # 部门与窗口
        departments: dict[str, Department] = {}
        windows_by_department: dict[int, list[Window]] = {}
        for index, (key, name, category, centre_key, windows) in enumerate(data.DEPARTMENTS):
            dept = seed.department(name=name, short_name=key[1:], uscc=department_uscc(index, category),
                                   region=county, centre=centres[centre_key],
                                   nature=Department.Nature.STATUTORY if category == "11"
                                   else Department.Nature.AUTHORISED,
                                   consultation_phone=f"0579-8701{2400 + index:04d}",
                                   complaint_phone=data.CENTRE["complaint_phone"],
                                   address=centres[centre_key].address)
            departments[key] = dept
            windows_by_department[dept.pk] = [seed.window(centres[centre_key], number, wname, dept)
                                              for number, wname in windows]
        for number, name in data.COMPREHENSIVE_WINDOWS:
            seed.window(main, number, name)

        # 三员 and the applicant
        for role in (User.AdminRole.SYSADMIN, User.AdminRole.SECADMIN, User.AdminRole.AUDITADMIN):
            username, name = logins[f"admin:{role}"]
            admin = seed.user(username, name, password=data.DEMO_PASSWORD)
            if admin.admin_role != role:
                user_set_admin_role(actor=actor, user=admin, role=role)
        username, name = logins["applicant"]
        seed.user(username, name, password=data.DEMO_PASSWORD, kind=User.Kind.APPLICANT, phone=data.APPLICANT_PHONE)

        # 中心岗位: administrators of the county centre (covering its branches) and of each township
        # centre, and the supervision office's 监察员.
        def demo_or_staff(role: str, use_demo: bool) -> User:
            if use_demo:
                username, name = logins[role]
                return seed.user(username, name, password=data.DEMO_PASSWORD)
            return seed.staff_member()

        seed.post(demo_or_staff(Position.CENTRE_ADMIN, True), Position.CENTRE_ADMIN, centre=main)
        seed.post(demo_or_staff(Position.SUPERVISOR, True), Position.SUPERVISOR, centre=main)
        seed.post(seed.staff_member(), Position.SUPERVISOR, centre=main)
        for code, _name, _ in data.TOWNSHIPS:
            seed.post(seed.staff_member(), Position.CENTRE_ADMIN, centre=township_centres[code])

        # Department staff: a clerk per window, two reviewers, a chief representative at the first
        # window, a section head and a leader; AB岗 pairs inside each department.
        for key, dept in departments.items():
            demo = key == data.DEMO_DEPARTMENT
            dept_windows = windows_by_department[dept.pk]
            clerks = [seed.post(demo_or_staff(Position.CLERK, demo and i == 0), Position.CLERK, department=dept,
                                window=w) for i, w in enumerate(dept_windows)]
            reviewers = [seed.post(demo_or_staff(Position.REVIEWER, demo and i == 0), Position.REVIEWER,
                                   department=dept) for i in range(2)]
            chief = seed.post(demo_or_staff(Position.CHIEF_REPRESENTATIVE, demo), Position.CHIEF_REPRESENTATIVE,
                              department=dept, window=dept_windows[0])
            head = seed.post(demo_or_staff(Position.SECTION_HEAD, demo), Position.SECTION_HEAD, department=dept)
            seed.post(demo_or_staff(Position.LEADER, demo), Position.LEADER, department=dept)
            seed.backup(reviewers[0], reviewers[1])
            seed.backup(reviewers[1], reviewers[0])
            seed.backup(chief, head)
            seed.backup(clerks[0], clerks[1] if len(clerks) > 1 else chief)

        # One absence so that AB岗 can be seen at work: the natural resources chief representative
        # is away for training this week and the section head acts for them.
        land_chief = StaffPost.objects.filter(department=departments["县自然资源局"],
                                              position=Position.CHIEF_REPRESENTATIVE, is_active=True).first()
        if land_chief is not None and not Absence.objects.filter(user=land_chief.user).exists():
            today = timezone.localdate()
            org.absence_create(actor=actor, user=land_chief.user, starts_on=today,
                               ends_on=today + dt.timedelta(days=4), reason="外出培训")
            summary.add("absence")

        if with_calendar:
            summary.calendar = _seed_calendar(actor)
        if with_catalog:
            summary.catalog = _seed_catalog(actor, departments, windows_by_department, summary)
    return summary


def _seed_calendar(actor) -> str:
    from zhengwu.workcalendar.services import calendar_seed_from_chinesecalendar

    change = calendar_seed_from_chinesecalendar(actor=actor)
    return change.summary() if change.changed else "已是最新，未作修改"


def _seed_catalog(actor, departments, windows_by_department, summary: DemoSummary) -> str:
    try:
        from zhengwu.catalog.demo import seed_catalog
    except ImportError:
        summary.notes.append("事项目录的演示数据尚未提供（zhengwu.catalog.demo），已跳过")
        return ""
    created = seed_catalog(actor=actor, departments=departments, windows_by_department=windows_by_department)
    return f"新建并发布事项 {created} 项" if created else "已是最新，未作修改"
