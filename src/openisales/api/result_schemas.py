"""The request body of the results query (cec_07_0783), every field optional.

Types, lengths and ranges are checked here; the rules between fields (pageSize by showDetail,
beginTime with endTime, the 30-day span) are the service's.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from openisales.api.params import OFFSET_MAX
from openisales.api.schemas import Lenient
from openisales.api.validators import DIALLABLE, int_rule, text_rule
from openisales.services.call_results import FINAL_PAGE_MAX, ResultQuery

PAGE_NUM_MAX = OFFSET_MAX // FINAL_PAGE_MAX  # the offset of the last page stays within bounds

Day = Annotated[str | None, BeforeValidator(text_rule(max_len=10))]


class QueryResultsRequest(Lenient):
    """The documented filters and paging; ``called`` and ``callStatus`` are extensions."""

    session_id: Annotated[str | None, BeforeValidator(text_rule(max_len=32))] = Field(
        default=None, alias="sessionId"
    )
    custom_field: Annotated[str | None, BeforeValidator(text_rule(max_len=200))] = Field(
        default=None, alias="customField"
    )
    page_size: Annotated[
        int | None, BeforeValidator(int_rule(minimum=1, maximum=FINAL_PAGE_MAX))
    ] = Field(default=None, alias="pageSize")
    page_num: Annotated[int | None, BeforeValidator(int_rule(minimum=1, maximum=PAGE_NUM_MAX))] = (
        Field(default=None, alias="pageNum")
    )
    show_detail: Annotated[int | None, BeforeValidator(int_rule(minimum=0, maximum=1))] = Field(
        default=None, alias="showDetail"
    )
    begin_time: Day = Field(default=None, alias="beginTime")
    end_time: Day = Field(default=None, alias="endTime")
    called: Annotated[
        str | None,
        BeforeValidator(text_rule(max_len=24, allowed=DIALLABLE, allowed_desc="digits, * and #")),
    ] = None
    call_status: Annotated[int | None, BeforeValidator(int_rule(minimum=5, maximum=6))] = Field(
        default=None, alias="callStatus"
    )

    def to_query(self) -> ResultQuery:
        """The service's query; empty texts count as not given."""
        return ResultQuery(
            session_id=self.session_id or None,
            custom_field=self.custom_field or None,
            called=self.called or None,
            call_status=self.call_status,
            page_size=self.page_size,
            page_num=self.page_num,
            show_detail=self.show_detail or 0,
            begin_time=self.begin_time or None,
            end_time=self.end_time or None,
        )
