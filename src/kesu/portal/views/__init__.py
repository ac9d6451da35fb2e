"""The customer portal's pages (SPEC §8): submit, follow by private link, my complaints."""

from kesu.portal.views.case import add_info, attachment, case, provide_info, rate, reopen
from kesu.portal.views.mine import mine
from kesu.portal.views.submit import sent, submit

__all__ = [
    "add_info",
    "attachment",
    "case",
    "mine",
    "provide_info",
    "rate",
    "reopen",
    "sent",
    "submit",
]
