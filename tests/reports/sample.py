"""A hand-made monthly report (the analysis data, not the database), so the rendering can be
checked on known numbers and on awkward text without building complaints."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from kesu.analysis.report_data import (
    AuditRow,
    AuditSection,
    BreakdownRow,
    DurationStats,
    ImprovementActionRow,
    KpiSummary,
    MilestoneTimeliness,
    MonthlyReport,
    OverdueRow,
    OverdueSection,
    ParetoRow,
    PerformanceRow,
    Ratio,
    RepeatRow,
    RepeatSection,
    TargetRow,
    Totals,
    TrendPoint,
)

SH = ZoneInfo("Asia/Shanghai")
NASTY = '<script>alert("x")</script> & 破损'


def _mt(kind: str, label: str, due: int, on_time: int) -> MilestoneTimeliness:
    return MilestoneTimeliness(
        kind=kind,
        label=label,
        due=due,
        on_time=on_time,
        missed=due - on_time,
        pending=1,
        extended=1,
        extended_on_time=1,
        rate=on_time / due if due else None,
        rate_unextended=None,
    )


def sample_report() -> MonthlyReport:
    start = datetime(2026, 10, 1, tzinfo=SH)
    end = datetime(2026, 11, 1, tzinfo=SH)
    months = [f"2025-{m:02d}" for m in range(11, 13)] + [f"2026-{m:02d}" for m in range(1, 11)]
    trend = [
        TrendPoint(
            month=m,
            received=20 + i * 3,
            closed=18 + i * 3,
            timeliness=0.8 + i / 100,
            satisfaction=None if i == 3 else 0.85 + i / 200,
        )
        for i, m in enumerate(months)
    ]
    trend[-1] = TrendPoint(
        month="2026-10", received=57, closed=49, timeliness=0.925, satisfaction=0.875
    )
    kpis = KpiSummary(
        start=start,
        end=end,
        filters={},
        received=57,
        closed=49,
        timeliness=_mt("all", "全部", 80, 74),
        timeliness_by_kind=[
            _mt("first_reply", "首次答复", 40, 38),
            _mt("solution", "处理方案", 40, 36),
        ],
        satisfaction_outcome=Ratio.of(35, 40),
        satisfaction_process=Ratio.of(36, 40),
        repeat_rate=Ratio.of(6, 57),
        reopen_rate=Ratio.of(2, 49),
        complaint_rate=Ratio.of(57, 12000),
        volume_kind="waybills",
        first_response=DurationStats(count=55, median_hours=1.2, p90_hours=3.5),
        resolution=DurationStats(count=50, median_hours=18.4, p90_hours=40.0),
        targets=[
            TargetRow(
                "satisfaction_outcome", "满意度（处理结果）", 0.875, 0.9, "ratio", "higher", False
            ),
            TargetRow("timeliness", "及时率", 0.925, 0.9, "ratio", "higher", True),
            TargetRow("first_response", "首次响应时间", 1.2, 2.0, "hours", "lower", True),
            TargetRow("resolution", "解决时间", 18.4, 24.0, "hours", "lower", True),
            TargetRow("complaint_rate", "投诉率", 57 / 12000, 0.05, "ratio", "lower", True),
        ],
    )
    by_category = [
        BreakdownRow("damage", "货物破损", 25, 25 / 57),
        BreakdownRow("delay", "运输延误", 20, 20 / 57),
        BreakdownRow("nasty", NASTY, 12, 12 / 57),
    ]
    perf = PerformanceRow(
        key="ops",
        label="运营部",
        received=30,
        handled=28,
        closed=27,
        timeliness=Ratio.of(40, 44),
        satisfaction=Ratio.of(18, 20),
        breaches=4,
        median_resolution_hours=16.0,
    )
    return MonthlyReport(
        month="2026-10",
        start=start,
        end=end,
        language="zh-hans",
        generated_at=datetime(2026, 11, 1, 8, 0, tzinfo=SH),
        policy_title="物流公司客户投诉管理制度",
        filters={},
        totals=Totals(
            received=57,
            closed=49,
            open_at_end=11,
            rejected=2,
            merged=1,
            previous_received=50,
            received_change=0.14,
        ),
        trend=trend,
        by_category=by_category,
        by_channel=[
            BreakdownRow("phone", "电话", 30, 30 / 57),
            BreakdownRow("email", "邮件", 27, 27 / 57),
        ],
        by_department=[
            BreakdownRow("ops", "运营部", 30, 30 / 57),
            BreakdownRow("cs", "客服部", 27, 27 / 57),
        ],
        by_level=[BreakdownRow("L1", "一般", 40, 40 / 57), BreakdownRow("L2", "重要", 17, 17 / 57)],
        by_stage=[
            BreakdownRow("delivery", "配送", 33, 33 / 57),
            BreakdownRow("pickup", "揽收", 24, 24 / 57),
        ],
        by_customer=[BreakdownRow("42", "上海恒昌贸易有限公司", 5, 5 / 57)],
        root_causes=[
            ParetoRow("packing", "包装不当", 20, 0.5, 0.5),
            ParetoRow("sorting", "分拣错误", 12, 0.3, 0.8),
            ParetoRow("driver", "司机操作", 8, 0.2, 1.0),
        ],
        root_cause_undetermined=17,
        repeats=RepeatSection(
            total=6,
            rows=[
                RepeatRow(
                    "KS-20261012-0003",
                    datetime(2026, 10, 12, 9, 30, tzinfo=SH),
                    "陈建国",
                    "货物破损",
                    "运营部",
                    ["KS-20260901-0001"],
                ),
            ],
        ),
        overdue=OverdueSection(
            open_at_end=3,
            breached_in_month=6,
            rows=[
                OverdueRow(
                    "KS-20261005-0002",
                    "冷链温度超标",
                    "solution",
                    "处理方案",
                    datetime(2026, 10, 7, 17, 0, tzinfo=SH),
                    None,
                    "运营部",
                    "张伟",
                    True,
                ),
            ],
        ),
        kpis=kpis,
        departments=[perf],
        people=[PerformanceRow(**{**perf.__dict__, "key": "h_ops", "label": "张伟"})],
        findings=[
            "本月受理投诉 57 件，较上月增加 14.0%。",
            "“货物破损”占 43.9%，为最主要的投诉类别。",
            "满意度 87.5%，低于目标 90.0%。",
        ],
        improvement_actions=[
            ImprovementActionRow(
                "IA-1",
                "加强包装检查",
                "包装不当",
                "李娜",
                datetime(2026, 11, 15, 18, 0, tzinfo=SH),
                "进行中",
                None,
            ),
        ],
        audits=AuditSection(
            rows=[AuditRow("运营部", 10, 8, 0.85, 2)], summary="抽查 10 件，合格 8 件。"
        ),
    )
