"""Typed SQLAlchemy models, one module per aggregate."""

from consult.models.api_token import ApiToken
from consult.models.audit import AuditEvent
from consult.models.base import Base, utcnow
from consult.models.consultation import (
    AnonymityMode,
    Consultation,
    ConsultationState,
    Item,
    ItemKind,
    Objective,
    StakeholderGroup,
)
from consult.models.invitation import Invitation, InvitationStatus, Participation
from consult.models.job import Job, JobState
from consult.models.live import LiveSession, LiveState
from consult.models.questionnaire import Option, Question, QuestionItem, Round, RoundState, Section
from consult.models.report import Quote, Report
from consult.models.response import (
    ANSWER_VALUES,
    Answer,
    Response,
    ResponseSource,
    ResponseState,
)
from consult.models.user import Membership, MembershipRole, Role, RoleName, User, roles_users

__all__ = [
    "ANSWER_VALUES",
    "AnonymityMode",
    "Answer",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Consultation",
    "ConsultationState",
    "Invitation",
    "InvitationStatus",
    "Item",
    "ItemKind",
    "Job",
    "JobState",
    "LiveSession",
    "LiveState",
    "Membership",
    "MembershipRole",
    "Objective",
    "Option",
    "Participation",
    "Question",
    "QuestionItem",
    "Quote",
    "Report",
    "Response",
    "ResponseSource",
    "ResponseState",
    "Role",
    "RoleName",
    "Round",
    "RoundState",
    "Section",
    "StakeholderGroup",
    "User",
    "roles_users",
    "utcnow",
]
