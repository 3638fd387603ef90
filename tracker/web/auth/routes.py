"""Accounts: register, log in, log out, change password."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from tracker.store.models import User
from tracker.web import security
from tracker.web.auth.forms import LoginForm, PasswordForm, RegisterForm
from tracker.web.extensions import limiter
from tracker.web.pages import render, submitted_status

bp = Blueprint("auth", __name__)


def _safe_next(default: str) -> str:
    """The ?next= target if it stays on this site, else ``default``."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


def _start_session(user: User) -> None:
    # A fresh session on login: nothing from before survives into the account.
    session.clear()
    login_user(user)


@bp.route("/register", methods=["GET", "POST"])
@security.register_limit
def register():
    """Create an account (client by default, therapist by choice)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        user = User.create_account(
            form.email.data, form.name.data, form.password.data, form.role.data, form.timezone.data
        )
        if user is not None:
            _start_session(user)
            flash(f"Welcome, {user.name}. Your account is ready.", "success")
            return redirect(url_for("main.index"))
        form.email.errors.append("An account with this email already exists. Try logging in.")
    return render("auth/register.html", form=form, status=submitted_status(form))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(security.login_limit_per_account, key_func=security.login_account_key,
               methods=["POST"])
@limiter.limit(security.login_limit_per_address, key_func=security.login_address_key,
               methods=["POST"])
def login():
    """Log in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = User.authenticate(form.email.data, form.password.data)
        if user is not None:
            _start_session(user)
            return redirect(_safe_next(url_for("main.index")))
        form.password.errors.append("That email and password don't match an account.")
    return render("auth/login.html", form=form, status=submitted_status(form))


@bp.post("/logout")
@login_required
def logout():
    """Log out of this device."""
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change password; every other session is logged out."""
    form = PasswordForm()
    if form.validate_on_submit():
        if current_user.check_password(form.current.data):
            current_user.set_password(form.new.data)
            _start_session(current_user)
            flash("Password changed. Other devices have been logged out.", "success")
            return redirect(url_for("main.index"))
        form.current.errors.append("That is not your current password.")
    return render("auth/password.html", form=form, status=submitted_status(form))
