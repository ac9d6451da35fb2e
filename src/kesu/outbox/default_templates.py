"""Default message texts, used when no ``MessageTemplate`` row overrides them.

Keyed by ``(event, language)``; every channel uses the same text unless an admin template for that
channel exists (SMS gets the body only). Placeholders are filled from the message context; a
placeholder the context lacks stays visible as ``{name}`` instead of failing.

Placeholders in use: ``{number}`` complaint number, ``{customer}`` customer name, ``{deadline}``
due time, ``{new_deadline}``, ``{link}`` private portal link (customers) or console link (staff),
``{link_until}`` the day the private link stops working (customers, once the case is finished),
``{level}`` the level's name (``{level_code}`` its code), ``{category}`` (``{category_code}``),
``{milestone}``, ``{reason}``, ``{recourse}``, ``{department}``, ``{handler}``, ``{amount}``,
``{batch}``, ``{decision}``, ``{solution}``, ``{task}``, ``{target_number}``; the monthly
report: ``{month}``, ``{pdf_link}``, ``{xlsx_link}``; improvement actions: ``{action}`` (CA-00012),
``{title}``, ``{owner}``, ``{before}`` / ``{after}`` (complaints in scope before and after);
sweep digests: ``{count}`` deadlines, ``{numbers}`` (the first complaint numbers), ``{more}``.
"""

from __future__ import annotations

from typing import TypedDict


class Template(TypedDict):
    subject: str
    body: str


ZH = "zh-hans"
EN = "en"

DEFAULT_TEMPLATES: dict[tuple[str, str], Template] = {
    # ---- customer -------------------------------------------------------------------------
    ("complaint.received", ZH): {
        "subject": "您的投诉已受理（编号 {number}）",
        "body": (
            "{customer}，您好：\n\n"
            "我们已收到并受理您的投诉，投诉编号为 {number}。\n"
            "我们将在 {deadline} 之前给您首次答复。\n\n"
            "您可以通过下面的专属链接随时查看处理进度、补充材料：\n{link}\n"
            "该链接仅供您本人使用，请勿转发。\n\n"
            "感谢您的反馈。"
        ),
    },
    ("complaint.received", EN): {
        "subject": "Your complaint has been accepted (no. {number})",
        "body": (
            "Dear {customer},\n\n"
            "We have received and accepted your complaint. Its number is {number}.\n"
            "You will receive our first answer by {deadline}.\n\n"
            "Follow its progress and add information at any time with your private link:\n"
            "{link}\nThis link is for you only; please do not forward it.\n\n"
            "Thank you for telling us."
        ),
    },
    ("complaint.progress", ZH): {
        "subject": "您的投诉 {number} 已交由{department}处理",
        "body": (
            "{customer}，您好：\n\n"
            "您的投诉（编号 {number}）已经分级并交由{department}负责处理，"
            "处理人员会尽快与您联系。\n\n"
            "您可以通过您的专属链接查看进度、补充材料：\n{link}"
        ),
    },
    ("complaint.progress", EN): {
        "subject": "Your complaint {number} is now with {department}",
        "body": (
            "Dear {customer},\n\n"
            "Your complaint (no. {number}) has been graded and passed to {department}, "
            "who will contact you shortly.\n\n"
            "Follow its progress and add information with your private link:\n{link}"
        ),
    },
    ("solution.communicated", ZH): {
        "subject": "关于您的投诉 {number} 的处理方案",
        "body": (
            "{customer}，您好：\n\n"
            "针对您的投诉（编号 {number}），我们的处理方案如下：\n\n{solution}\n\n"
            "如有疑问或不同意见，请通过以下链接回复我们：\n{link}"
        ),
    },
    ("solution.communicated", EN): {
        "subject": "Our solution for your complaint {number}",
        "body": (
            "Dear {customer},\n\n"
            "For your complaint (no. {number}) we propose the following:\n\n{solution}\n\n"
            "If you have questions or disagree, reply through your private link:\n{link}"
        ),
    },
    ("info.requested", ZH): {
        "subject": "请补充投诉 {number} 的相关信息",
        "body": (
            "{customer}，您好：\n\n"
            "为尽快处理您的投诉（编号 {number}），我们需要您补充以下信息：\n{reason}\n\n"
            "请通过以下链接补充（可上传图片或文件）：\n{link}\n"
            "在收到您的补充信息之前，处理时限暂停计算。"
        ),
    },
    ("info.requested", EN): {
        "subject": "Please add information to complaint {number}",
        "body": (
            "Dear {customer},\n\n"
            "To handle your complaint (no. {number}) we need the following from you:\n"
            "{reason}\n\n"
            "Please add it (photos and files welcome) through your private link:\n{link}\n"
            "Our deadlines are paused until we receive it."
        ),
    },
    ("callback.survey", ZH): {
        "subject": "请评价投诉 {number} 的处理",
        "body": (
            "{customer}，您好：\n\n"
            "您的投诉（编号 {number}）已处理完毕。请花一分钟时间，"
            "对处理结果和处理过程分别打分：\n{link}\n\n"
            "您的评价将帮助我们改进。"
        ),
    },
    ("callback.survey", EN): {
        "subject": "How did we handle complaint {number}?",
        "body": (
            "Dear {customer},\n\n"
            "Your complaint (no. {number}) has been resolved. Please take a minute to rate "
            "the outcome and the way we handled it:\n{link}\n\n"
            "Your answer helps us improve."
        ),
    },
    ("complaint.closed", ZH): {
        "subject": "您的投诉 {number} 已办结",
        "body": (
            "{customer}，您好：\n\n"
            "您的投诉（编号 {number}）已办结。感谢您的耐心与支持。\n"
            "处理记录在 {link_until} 前仍可通过以下链接查看：\n{link}"
        ),
    },
    ("complaint.closed", EN): {
        "subject": "Your complaint {number} is closed",
        "body": (
            "Dear {customer},\n\n"
            "Your complaint (no. {number}) is now closed. Thank you for your patience.\n"
            "The record stays available until {link_until} at:\n{link}"
        ),
    },
    ("complaint.rejected", ZH): {
        "subject": "关于您的投诉 {number} 的受理结果",
        "body": (
            "{customer}，您好：\n\n"
            "很抱歉，您的投诉（编号 {number}）未予受理。\n"
            "原因：{reason}\n\n"
            "如您对此有异议，可以：{recourse}\n"
            "详情：{link}"
        ),
    },
    ("complaint.rejected", EN): {
        "subject": "About your complaint {number}",
        "body": (
            "Dear {customer},\n\n"
            "We are sorry: your complaint (no. {number}) could not be accepted.\n"
            "Reason: {reason}\n\n"
            "If you disagree, you can: {recourse}\n"
            "Details: {link}"
        ),
    },
    ("complaint.merged", ZH): {
        "subject": "您的投诉 {number} 已合并处理",
        "body": (
            "{customer}，您好：\n\n"
            "您的投诉（编号 {number}）与同一事项的投诉 {target_number} 合并处理，"
            "不会影响处理时限。后续进度请通过以下链接查看：\n{link}"
        ),
    },
    ("complaint.merged", EN): {
        "subject": "Your complaint {number} has been merged",
        "body": (
            "Dear {customer},\n\n"
            "Your complaint (no. {number}) concerns the same matter as complaint "
            "{target_number}; we handle them together, with no change to our deadlines. "
            "Follow the progress at:\n{link}"
        ),
    },
    # A new private link made by customer service (kesu.complaints.services.portal_links).
    ("portal.link_renewed", ZH): {
        "subject": "您的投诉 {number} 的新专属链接",
        "body": (
            "{customer}，您好：\n\n"
            "您的投诉（编号 {number}）已更换新的专属链接，原链接即时失效。"
            "请通过下面的新链接查看处理进度、补充材料：\n{link}\n"
            "该链接仅供您本人使用，请勿转发。如您没有要求更换链接，请与我们的客服联系。"
        ),
    },
    ("portal.link_renewed", EN): {
        "subject": "A new private link for your complaint {number}",
        "body": (
            "Dear {customer},\n\n"
            "Your complaint (no. {number}) has a new private link; the previous one no longer "
            "works. Follow its progress and add information with the new link:\n{link}\n"
            "This link is for you only; please do not forward it. If you did not ask for a new "
            "link, please contact our customer service."
        ),
    },
    # ---- staff: handling ----------------------------------------------------------------------
    ("complaint.assigned", ZH): {
        "subject": "投诉 {number}（{level}）已分派给您",
        "body": (
            "{handler}，您好：\n\n"
            "投诉 {number}（{level}，{department}）已分派给您处理。\n"
            "请在 {deadline} 之前联系客户。\n{link}"
        ),
    },
    ("complaint.assigned", EN): {
        "subject": "Complaint {number} (level {level}) assigned to you",
        "body": (
            "Hello {handler},\n\n"
            "Complaint {number} (level {level}, {department}) has been assigned to you.\n"
            "Please contact the customer by {deadline}.\n{link}"
        ),
    },
    ("complaint.top_level", ZH): {
        "subject": "【重大投诉】{number}（{level}）",
        "body": (
            "投诉 {number} 被定为「{level}」，按程序需由高层管理者介入。\n"
            "客户：{customer}；类别：{category}；责任部门：{department}；处理人：{handler}。\n"
            "下一个期限：{deadline}\n{link}"
        ),
    },
    ("complaint.top_level", EN): {
        "subject": "[Major complaint] {number} ({level})",
        "body": (
            "Complaint {number} has been graded '{level}': the procedure asks senior management "
            "to take part.\nCustomer: {customer}; category: {category}; department: "
            "{department}; handler: {handler}.\nNext deadline: {deadline}\n{link}"
        ),
    },
    ("complaint.reassigned", ZH): {
        "subject": "投诉 {number} 已转交 {handler}",
        "body": (
            "投诉 {number}（{level}）已转交给 {handler}（{department}）。\n"
            "原因：{reason}\n"
            "当前节点期限：{deadline}\n{link}"
        ),
    },
    ("complaint.reassigned", EN): {
        "subject": "Complaint {number} reassigned to {handler}",
        "body": (
            "Complaint {number} (level {level}) has been reassigned to {handler} "
            "({department}).\nReason: {reason}\n"
            "Current deadline: {deadline}\n{link}"
        ),
    },
    ("review.returned", ZH): {
        "subject": "投诉 {number} 审核退回",
        "body": (
            "{handler}，您好：\n\n"
            "投诉 {number} 的处理结果未通过审核，已退回给您。\n"
            "退回原因：{reason}\n{link}"
        ),
    },
    ("review.returned", EN): {
        "subject": "Complaint {number} returned after review",
        "body": (
            "Hello {handler},\n\n"
            "The handling of complaint {number} did not pass review and is back with you.\n"
            "Reason: {reason}\n{link}"
        ),
    },
    ("complaint.reopened", ZH): {
        "subject": "投诉 {number} 已重新打开",
        "body": (
            "{handler}，您好：\n\n"
            "已办结的投诉 {number} 被重新打开，请继续处理。\n"
            "原因：{reason}\n"
            "期限：{deadline}\n{link}"
        ),
    },
    ("complaint.reopened", EN): {
        "subject": "Complaint {number} reopened",
        "body": (
            "Hello {handler},\n\n"
            "Closed complaint {number} has been reopened; please resume handling it.\n"
            "Reason: {reason}\n"
            "Deadline: {deadline}\n{link}"
        ),
    },
    ("customer.info", ZH): {
        "subject": "客户补充了投诉 {number} 的信息",
        "body": (
            "投诉 {number}（{level}）的客户 {customer} 补充了信息或材料，"
            "处理时限已恢复计算。\n请查看：{link}"
        ),
    },
    ("customer.info", EN): {
        "subject": "Customer added information to complaint {number}",
        "body": (
            "The customer {customer} added information or files to complaint {number} "
            "(level {level}); the deadlines run again.\nSee: {link}"
        ),
    },
    ("review.needed", ZH): {
        "subject": "待审核：投诉 {number}",
        "body": (
            "投诉 {number}（{level}，{department}，处理人 {handler}）已处理完毕，"
            "请审核处理结果后安排回访。\n{link}"
        ),
    },
    ("review.needed", EN): {
        "subject": "Review needed: complaint {number}",
        "body": (
            "Complaint {number} (level {level}, {department}, handler {handler}) has been "
            "handled. Please review the outcome before the callback.\n{link}"
        ),
    },
    ("task.assigned", ZH): {
        "subject": "新任务：{task}（投诉 {number}）",
        "body": (
            "您好：\n\n"
            "您有一项与投诉 {number} 相关的任务：{task}\n"
            "请在 {deadline} 之前完成。\n{link}"
        ),
    },
    ("task.assigned", EN): {
        "subject": "New task: {task} (complaint {number})",
        "body": (
            "Hello,\n\n"
            "You have a task on complaint {number}: {task}\n"
            "Please complete it by {deadline}.\n{link}"
        ),
    },
    # ---- staff: deadlines and escalation ------------------------------------------------------
    ("milestone.warning", ZH): {
        "subject": "即将超时：投诉 {number}「{milestone}」",
        "body": (
            "{handler}，您好：\n\n"
            "投诉 {number}（{level}）的「{milestone}」节点将于 {deadline} 到期，"
            "请尽快处理。\n{link}"
        ),
    },
    ("milestone.warning", EN): {
        "subject": "Due soon: complaint {number}, {milestone}",
        "body": (
            "Hello {handler},\n\n"
            "The '{milestone}' milestone of complaint {number} (level {level}) is due at "
            "{deadline}. Please act now.\n{link}"
        ),
    },
    ("milestone.breached", ZH): {
        "subject": "已超时：投诉 {number}「{milestone}」",
        "body": (
            "投诉 {number}（{level}，{department}，处理人 {handler}）的"
            "「{milestone}」节点已于 {deadline} 超时，现升级至您处。\n"
            "请督促处理。\n{link}"
        ),
    },
    ("milestone.breached", EN): {
        "subject": "Overdue: complaint {number}, {milestone}",
        "body": (
            "The '{milestone}' milestone of complaint {number} (level {level}, {department}, "
            "handler {handler}) was due at {deadline} and has been missed; it is escalated "
            "to you.\nPlease follow up.\n{link}"
        ),
    },
    ("milestone.breached_executive", ZH): {
        "subject": "【升级】投诉 {number}（{level}）超时",
        "body": (
            "投诉 {number}（{level}，{department}，处理人 {handler}）的"
            "「{milestone}」节点已于 {deadline} 超时。"
            "因投诉等级或多次超时，按规定升级至公司领导。\n{link}"
        ),
    },
    ("milestone.breached_executive", EN): {
        "subject": "[Escalated] Complaint {number} (level {level}) overdue",
        "body": (
            "The '{milestone}' milestone of complaint {number} (level {level}, {department}, "
            "handler {handler}) was due at {deadline} and has been missed. Because of its level "
            "or repeated breaches it is escalated to the executive by policy.\n{link}"
        ),
    },
    # One message per person instead of dozens when a sweep finds many deadlines at once
    # (after an outage, a holiday backlog): complaints.services.sweep.DIGEST_AFTER.
    ("milestone.warning_digest", ZH): {
        "subject": "{count} 个投诉节点即将超时",
        "body": (
            "以下投诉共 {count} 个节点即将到期：{numbers}{more}。\n"
            "请及时处理，即将超时队列：\n{link}"
        ),
    },
    ("milestone.warning_digest", EN): {
        "subject": "{count} complaint deadlines are close",
        "body": (
            "{count} deadlines of these complaints are close: {numbers}{more}.\n"
            "Please act in time; the due-soon queue:\n{link}"
        ),
    },
    ("milestone.breached_digest", ZH): {
        "subject": "已超时：{count} 个投诉节点",
        "body": (
            "以下投诉共 {count} 个节点已超时，现升级至您处：{numbers}{more}。\n"
            "请督促处理，超时队列：\n{link}"
        ),
    },
    ("milestone.breached_digest", EN): {
        "subject": "Overdue: {count} complaint deadlines",
        "body": (
            "{count} deadlines of these complaints have been missed and are escalated to you: "
            "{numbers}{more}.\nPlease follow up; the overdue queue:\n{link}"
        ),
    },
    ("milestone.breached_executive_digest", ZH): {
        "subject": "【升级】{count} 个投诉节点超时",
        "body": (
            "以下投诉共 {count} 个节点已超时，因投诉等级或多次超时，按规定升级至公司领导："
            "{numbers}{more}。\n超时队列：\n{link}"
        ),
    },
    ("milestone.breached_executive_digest", EN): {
        "subject": "[Escalated] {count} complaint deadlines overdue",
        "body": (
            "{count} deadlines of these complaints have been missed and, because of their "
            "level or repeated breaches, are escalated to the executive by policy: "
            "{numbers}{more}.\nThe overdue queue:\n{link}"
        ),
    },
    ("extension.requested", ZH): {
        "subject": "延期申请：投诉 {number}「{milestone}」",
        "body": (
            "{handler} 申请将投诉 {number} 的「{milestone}」节点期限"
            "由 {deadline} 延至 {new_deadline}。\n"
            "理由：{reason}\n"
            "请审批：{link}"
        ),
    },
    ("extension.requested", EN): {
        "subject": "Extension requested: complaint {number}, {milestone}",
        "body": (
            "{handler} asks to extend the '{milestone}' milestone of complaint {number} "
            "from {deadline} to {new_deadline}.\n"
            "Reason: {reason}\n"
            "Decide here: {link}"
        ),
    },
    ("extension.decided", ZH): {
        "subject": "延期申请结果：投诉 {number}（{decision}）",
        "body": (
            "{handler}，您好：\n\n"
            "您对投诉 {number}「{milestone}」节点的延期申请：{decision}。\n"
            "当前期限：{new_deadline}\n"
            "说明：{reason}\n{link}"
        ),
    },
    ("extension.decided", EN): {
        "subject": "Extension for complaint {number}: {decision}",
        "body": (
            "Hello {handler},\n\n"
            "Your extension request for the '{milestone}' milestone of complaint {number}: "
            "{decision}.\nDeadline now: {new_deadline}\n"
            "Note: {reason}\n{link}"
        ),
    },
    # ---- staff: solutions and quality ---------------------------------------------------------
    ("solution.approval_needed", ZH): {
        "subject": "待审批：投诉 {number} 的处理方案",
        "body": (
            "{handler} 提交了投诉 {number}（{level}）的处理方案，"
            "涉及金额 {amount}，需要您审批。\n{link}"
        ),
    },
    ("solution.approval_needed", EN): {
        "subject": "Approval needed: solution for complaint {number}",
        "body": (
            "{handler} proposes a solution for complaint {number} (level {level}) "
            "involving {amount}. Your approval is needed.\n{link}"
        ),
    },
    ("solution.decided", ZH): {
        "subject": "方案审批结果：投诉 {number}（{decision}）",
        "body": (
            "{handler}，您好：\n\n"
            "您为投诉 {number} 提交的处理方案审批结果：{decision}。\n"
            "审批意见：{reason}\n{link}"
        ),
    },
    ("solution.decided", EN): {
        "subject": "Solution for complaint {number}: {decision}",
        "body": (
            "Hello {handler},\n\n"
            "The solution you proposed for complaint {number} was {decision}.\n"
            "Comment: {reason}\n{link}"
        ),
    },
    ("batch.alert", ZH): {
        "subject": "批次预警：{batch}",
        "body": (
            "批次 {batch} 收到投诉（最新一起：{number}，{customer}），已达到预警条件。\n"
            "请检查同批次产品，评估是否需要暂停、召回或更换，并登记应急措施。\n{link}"
        ),
    },
    ("batch.alert", EN): {
        "subject": "Batch alert: {batch}",
        "body": (
            "Batch {batch} has reached the alert threshold (latest complaint: {number}, "
            "{customer}).\n"
            "Please inspect the batch, decide whether to suspend, recall or replace it, and "
            "record the emergency measures.\n{link}"
        ),
    },
    ("batch.measure", ZH): {
        "subject": "批次 {batch} 应急措施：{task}",
        "body": (
            "您被指定负责批次 {batch} 的应急措施：{task}\n"
            "完成期限：{deadline}\n"
            "相关投诉：{number}（{customer}）\n{link}"
        ),
    },
    ("batch.measure", EN): {
        "subject": "Batch {batch}, emergency measure: {task}",
        "body": (
            "You are responsible for an emergency measure on batch {batch}: {task}\n"
            "Due: {deadline}\n"
            "Complaint: {number} ({customer})\n{link}"
        ),
    },
    # ---- management: the monthly report (kesu.reports.jobs) -----------------------------------
    ("report.monthly", ZH): {
        "subject": "《月度客户服务分析报告》{month}",
        "body": (
            "您好：\n\n"
            "{month} 的月度客户服务分析报告已生成。\n\n"
            "在线查看：{link}\n"
            "下载 PDF：{pdf_link}\n"
            "下载 Excel：{xlsx_link}\n\n"
            "（本邮件由系统自动发送。）"
        ),
    },
    ("report.monthly", EN): {
        "subject": "Monthly customer service analysis report {month}",
        "body": (
            "Hello,\n\n"
            "The monthly customer service analysis report for {month} is ready.\n\n"
            "Read it online: {link}\n"
            "Download the PDF: {pdf_link}\n"
            "Download the Excel workbook: {xlsx_link}\n\n"
            "(Sent automatically.)"
        ),
    },
    # ---- staff: improvement actions (kesu.improvement) -------------------------------------
    ("improvement.assigned", ZH): {
        "subject": "改进措施 {action}：{title}",
        "body": (
            "{owner}，您好：\n\n"
            "您被指定为改进措施 {action}（{title}）的负责人，责任部门：{department}。\n"
            "完成期限：{deadline}。完成后请登记实施证据。\n{link}"
        ),
    },
    ("improvement.assigned", EN): {
        "subject": "Improvement action {action}: {title}",
        "body": (
            "Hello {owner},\n\n"
            "You are the owner of improvement action {action} ({title}), department: "
            "{department}.\nDue: {deadline}. Record the evidence when it is done.\n{link}"
        ),
    },
    ("improvement.warning", ZH): {
        "subject": "改进措施 {action} 即将到期",
        "body": (
            "{owner}，您好：\n\n"
            "改进措施 {action}（{title}）将于 {deadline} 到期，请尽快完成并登记实施证据。\n{link}"
        ),
    },
    ("improvement.warning", EN): {
        "subject": "Improvement action {action} is nearly due",
        "body": (
            "Hello {owner},\n\n"
            "Improvement action {action} ({title}) is due on {deadline}. Please complete it "
            "and record the evidence.\n{link}"
        ),
    },
    ("improvement.overdue", ZH): {
        "subject": "改进措施 {action} 已超时",
        "body": (
            "改进措施 {action}（{title}）已超过完成期限 {deadline}，仍未完成。\n"
            "负责人：{owner}，责任部门：{department}。请督促落实。\n{link}"
        ),
    },
    ("improvement.overdue", EN): {
        "subject": "Improvement action {action} is overdue",
        "body": (
            "Improvement action {action} ({title}) was due on {deadline} and is not done.\n"
            "Owner: {owner}, department: {department}. Please follow it up.\n{link}"
        ),
    },
    ("improvement.check_due", ZH): {
        "subject": "待验证效果：改进措施 {action}",
        "body": (
            "改进措施 {action}（{title}）已到效果验证时间。\n"
            "同类投诉：措施前 {before} 起，完成后 {after} 起。"
            "请确认措施是否有效并填写验证意见。\n{link}"
        ),
    },
    ("improvement.check_due", EN): {
        "subject": "Effectiveness check due: improvement action {action}",
        "body": (
            "The effectiveness check of improvement action {action} ({title}) is due.\n"
            "Complaints in scope: {before} before the action, {after} after it was done. "
            "Please confirm whether it was effective, with a note.\n{link}"
        ),
    },
}
