"""Peewee models and the ownership-scoped queries views use."""
import secrets
from datetime import UTC, datetime

from flask_login import UserMixin
from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegrityError,
    fn,
)
from werkzeug.security import check_password_hash, generate_password_hash

from tracker.db import BaseModel, database

CLIENT = "client"
THERAPIST = "therapist"
ROLES = (CLIENT, THERAPIST)

# Compared against when an email is unknown, so a wrong email costs the same time
# as a wrong password and the response does not reveal which accounts exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def utcnow() -> datetime:
    return datetime.now(UTC)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def new_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, BaseModel):
    email = CharField(max_length=254, unique=True)  # stored lower-case
    name = CharField(max_length=100)
    password_hash = CharField(max_length=255)
    role = CharField(max_length=16, default=CLIENT)
    timezone = CharField(max_length=64, default="UTC")
    # Flask-Login's id: changing it logs out every session of this user.
    session_token = CharField(max_length=64, unique=True, default=new_token)
    created_at = DateTimeField(default=utcnow)

    @property
    def is_therapist(self) -> bool:
        return self.role == THERAPIST

    def get_id(self) -> str:
        return self.session_token

    @classmethod
    def by_session_token(cls, token: str) -> "User | None":
        return cls.get_or_none(cls.session_token == token)

    @classmethod
    def by_email(cls, email: str) -> "User | None":
        return cls.get_or_none(fn.LOWER(cls.email) == normalise_email(email))

    @classmethod
    def create_account(cls, email: str, name: str, password: str, role: str, timezone: str):
        """Create a user, or return None when the email is already taken."""
        try:
            with database.atomic():
                return cls.create(
                    email=normalise_email(email),
                    name=name.strip(),
                    password_hash=generate_password_hash(password, method="scrypt"),
                    role=role,
                    timezone=timezone,
                )
        except IntegrityError:
            return None

    @classmethod
    def authenticate(cls, email: str, password: str) -> "User | None":
        """The user with this email and password, or None (in similar time either way)."""
        user = cls.by_email(email)
        if user is None:
            check_password_hash(_DUMMY_HASH, password)
            return None
        return user if check_password_hash(user.password_hash, password) else None

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def set_password(self, password: str) -> None:
        """Store a new password and log out every other session."""
        self.password_hash = generate_password_hash(password, method="scrypt")
        self.session_token = new_token()
        self.save()


class CareLink(BaseModel):
    """A therapist looking after a client."""

    therapist = ForeignKeyField(User, backref="client_links", on_delete="CASCADE")
    client = ForeignKeyField(User, backref="therapist_links", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    active = BooleanField(default=True)

    class Meta:
        indexes = ((("therapist", "client"), True),)


ALL_MODELS = [User, CareLink]
