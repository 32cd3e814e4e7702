"""Case numbers (案号): parsing, normal form and the case-type table.

Form: （YEAR）COURT TYPE SEQ号, e.g. （2024）黔0281民初1234号. People type half-width
parentheses, full-width digits and stray spaces; all of these are the same case, so
every number is stored in one normal form: full-width parentheses, ASCII digits, no spaces.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EXAMPLE = "（2024）黔0281民初1234号"


class Category:
    CIVIL = "civil"
    CRIMINAL = "criminal"
    ADMINISTRATIVE = "administrative"
    ENFORCEMENT = "enforcement"
    OTHER = "other"

    CHOICES = [
        (CIVIL, _("Civil")),
        (CRIMINAL, _("Criminal")),
        (ADMINISTRATIVE, _("Administrative")),
        (ENFORCEMENT, _("Enforcement")),
        (OTHER, _("Other")),
    ]


class Stage:
    FIRST_INSTANCE = "first_instance"
    SECOND_INSTANCE = "second_instance"
    SPECIAL = "special"
    RETRIAL_REVIEW = "retrial_review"
    RETRIAL = "retrial"
    ENFORCEMENT = "enforcement"
    PRESERVATION = "preservation"
    ENFORCEMENT_OBJECTION = "enforcement_objection"
    ENFORCEMENT_REVIEW = "enforcement_review"
    COMMUTATION = "commutation"
    NON_LITIGATION = "non_litigation"
    BANKRUPTCY = "bankruptcy"
    COMPENSATION = "compensation"
    JUDICIAL_AID = "judicial_aid"
    OTHER = "other"

    CHOICES = [
        (FIRST_INSTANCE, _("First instance")),
        (SECOND_INSTANCE, _("Second instance")),
        (SPECIAL, _("Special procedure")),
        (RETRIAL_REVIEW, _("Retrial petition review")),
        (RETRIAL, _("Retrial")),
        (ENFORCEMENT, _("Enforcement")),
        (PRESERVATION, _("Preservation")),
        (ENFORCEMENT_OBJECTION, _("Enforcement objection")),
        (ENFORCEMENT_REVIEW, _("Enforcement review")),
        (COMMUTATION, _("Commutation and parole")),
        (NON_LITIGATION, _("Non-litigation review")),
        (BANKRUPTCY, _("Bankruptcy")),
        (COMPENSATION, _("State compensation")),
        (JUDICIAL_AID, _("Judicial aid")),
        (OTHER, _("Other")),
    ]


@dataclass(frozen=True)
class CaseType:
    code: str
    category: str
    stage: str
    name: str


_C, _R, _A, _E, _O = (Category.CIVIL, Category.CRIMINAL, Category.ADMINISTRATIVE, Category.ENFORCEMENT, Category.OTHER)
_S = Stage

CASE_TYPES: dict[str, CaseType] = {
    t.code: t
    for t in [
        CaseType("民初", _C, _S.FIRST_INSTANCE, "民事一审"),
        CaseType("民终", _C, _S.SECOND_INSTANCE, "民事二审"),
        CaseType("民特", _C, _S.SPECIAL, "民事特别程序"),
        CaseType("民督", _C, _S.SPECIAL, "申请支付令"),
        CaseType("民催", _C, _S.SPECIAL, "公示催告"),
        CaseType("民辖", _C, _S.OTHER, "民事管辖"),
        CaseType("民申", _C, _S.RETRIAL_REVIEW, "民事申请再审审查"),
        CaseType("民再", _C, _S.RETRIAL, "民事再审"),
        CaseType("民监", _C, _S.RETRIAL_REVIEW, "民事审判监督"),
        CaseType("民抗", _C, _S.RETRIAL_REVIEW, "民事抗诉再审审查"),
        CaseType("民撤", _C, _S.OTHER, "第三人撤销之诉"),
        CaseType("民保", _C, _S.PRESERVATION, "诉前保全"),
        CaseType("财保", _C, _S.PRESERVATION, "财产保全"),
        CaseType("民他", _C, _S.OTHER, "民事其他"),
        CaseType("刑初", _R, _S.FIRST_INSTANCE, "刑事一审"),
        CaseType("刑终", _R, _S.SECOND_INSTANCE, "刑事二审"),
        CaseType("刑更", _R, _S.COMMUTATION, "减刑假释"),
        CaseType("刑申", _R, _S.RETRIAL_REVIEW, "刑事申诉审查"),
        CaseType("刑再", _R, _S.RETRIAL, "刑事再审"),
        CaseType("刑医", _R, _S.SPECIAL, "强制医疗"),
        CaseType("刑没", _R, _S.SPECIAL, "违法所得没收"),
        CaseType("刑他", _R, _S.OTHER, "刑事其他"),
        CaseType("行初", _A, _S.FIRST_INSTANCE, "行政一审"),
        CaseType("行终", _A, _S.SECOND_INSTANCE, "行政二审"),
        CaseType("行审", _A, _S.NON_LITIGATION, "非诉行政执行审查"),
        CaseType("行申", _A, _S.RETRIAL_REVIEW, "行政申请再审审查"),
        CaseType("行再", _A, _S.RETRIAL, "行政再审"),
        CaseType("行赔初", _A, _S.FIRST_INSTANCE, "行政赔偿一审"),
        CaseType("行他", _A, _S.OTHER, "行政其他"),
        CaseType("执", _E, _S.ENFORCEMENT, "首次执行"),
        CaseType("执恢", _E, _S.ENFORCEMENT, "恢复执行"),
        CaseType("执保", _E, _S.PRESERVATION, "财产保全执行"),
        CaseType("执异", _E, _S.ENFORCEMENT_OBJECTION, "执行异议"),
        CaseType("执复", _E, _S.ENFORCEMENT_REVIEW, "执行复议"),
        CaseType("执监", _E, _S.ENFORCEMENT_REVIEW, "执行监督"),
        CaseType("执协", _E, _S.OTHER, "执行协调"),
        CaseType("执他", _E, _S.OTHER, "执行其他"),
        CaseType("破申", _O, _S.BANKRUPTCY, "破产申请审查"),
        CaseType("破", _O, _S.BANKRUPTCY, "破产"),
        CaseType("强清", _O, _S.BANKRUPTCY, "强制清算"),
        CaseType("赔", _O, _S.COMPENSATION, "国家赔偿"),
        CaseType("委赔", _O, _S.COMPENSATION, "赔偿委员会审理"),
        CaseType("司救", _O, _S.JUDICIAL_AID, "司法救助"),
        CaseType("司惩", _O, _S.OTHER, "司法制裁"),
        CaseType("请", _O, _S.OTHER, "请示"),
        CaseType("协外", _O, _S.OTHER, "司法协助"),
    ]
}

CASE_TYPE_CHOICES = [(code, f"{code} {t.name}") for code, t in CASE_TYPES.items()]

# One province abbreviation, then the court's digits (none for a high court).
_PATTERN = re.compile(r"^（(?P<year>\d{4})）(?P<court>[\u4e00-\u9fff]\d*)(?P<type>[\u4e00-\u9fff]+?)(?P<seq>\d+)号$")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class CaseNumber:
    year: int
    court_code: str
    type_code: str
    seq: int

    @property
    def normal(self) -> str:
        return f"（{self.year}）{self.court_code}{self.type_code}{self.seq}号"

    @property
    def case_type(self) -> CaseType:
        return CASE_TYPES[self.type_code]


def normalise(raw: str) -> str:
    """Return the normal spelling of a case number, without validating it."""
    text = unicodedata.normalize("NFKC", raw or "")  # full-width digits → ASCII, （ → (
    text = _SPACES.sub("", text)
    return text.replace("(", "（").replace(")", "）")


def parse(raw: str) -> CaseNumber:
    """Parse a case number in either parenthesis form; raise ValidationError if it is not one."""
    text = normalise(raw)
    match = _PATTERN.match(text)
    if not match or match["type"] not in CASE_TYPES:
        if match:
            message = _("Unknown case type code “%(type)s” in “%(value)s”. Expected form: %(example)s")
            params = {"type": match["type"], "value": raw, "example": EXAMPLE}
        else:
            message = _("“%(value)s” is not a case number. Expected form: %(example)s")
            params = {"value": raw, "example": EXAMPLE}
        raise ValidationError(message, code="invalid_case_number", params=params)
    seq = int(match["seq"])
    if seq == 0:
        raise ValidationError(
            _("The sequence number in “%(value)s” must be at least 1. Expected form: %(example)s"),
            code="invalid_case_number",
            params={"value": raw, "example": EXAMPLE},
        )
    return CaseNumber(int(match["year"]), match["court"], match["type"], seq)
