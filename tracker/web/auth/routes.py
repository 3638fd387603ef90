"""Accounts: register, log in, log out, change password, and "Forgot password?"."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user, login_required

from tracker.store import accounts
from tracker.store.models import User, utcnow
from tracker.web import security, signin
from tracker.web.auth.forms import (
    ForgotPasswordForm,
    LoginForm,
    PasswordForm,
    RegisterForm,
    ResetPasswordForm,
)
from tracker.web.extensions import limiter
from tracker.web.pages import private, render, submitted_status

bp = Blueprint("auth", __name__)


def _safe_next(default: str) -> str:
    """The ?next= target if it stays on this site, else ``default``."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if target.startswith("/") and not target.startswith("//") and not parts.netloc:
        return target
    return default


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
            signin.start(user)
            flash(f"Welcome, {user.name}. Your account is ready.", "success")
            return redirect(url_for("main.index"))
        form.email.errors.append("An account with this email already exists. Try logging in.")
    return render("auth/register.html", form=form, status=submitted_status(form))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(security.login_limit_per_address, key_func=security.login_address_key,
               methods=["POST"])
def login():
    """Log in with email and password (per account: 20 checks in 15 minutes, then locked)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        security.begin_login_attempt(form.email.data)  # a 429 while the account is locked
        user = User.authenticate(form.email.data, form.password.data)
        if user is not None:
            security.login_succeeded(form.email.data)
            signin.start(user)
            return redirect(_safe_next(url_for("main.index")))
        form.password.errors.append("That email and password don't match an account.")
    return render("auth/login.html", form=form, status=submitted_status(form))


@bp.post("/logout")
@login_required
def logout():
    """Log out of this device: its sign-in ends on the server too."""
    signin.end()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change password; every sign-in ends, and this device gets a new one (a copy of its
    old cookie, as of every other device's, is then refused)."""
    form = PasswordForm()
    if form.validate_on_submit():
        if current_user.check_password(form.current.data):
            user = current_user._get_current_object()
            accounts.change_password(user, form.new.data, keep_token=None)
            signin.start(user)
            flash("Password changed. Other devices have been logged out.", "success")
            return redirect(url_for("main.index"))
        form.current.errors.append("That is not your current password.")
    return render("auth/password.html", form=form, status=submitted_status(form))


# A reset link's page: the same words for a link never made, used or expired.
INVALID_RESET = ("This link has expired or has already been used. "
                 "Ask for a new one below.")


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(security.reset_limit_per_account, key_func=security.login_account_key,
               methods=["POST"], scope="reset-account")
@limiter.limit(security.reset_limit_per_address, key_func=security.login_address_key,
               methods=["POST"], scope="reset-address")
def forgot_password():
    """Ask for a reset link by email; the answer never says whether the account exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_reset(form.email.data)
        return redirect(url_for("auth.reset_sent"))
    return render("auth/forgot.html", form=form, status=submitted_status(form))


@bp.get("/forgot-password/sent")
def reset_sent():
    """What every reset request is told."""
    return render("auth/reset_sent.html")


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Set a new password through a reset link; every sign-in ends, then log in with it."""
    if accounts.find_reset(token, utcnow()) is None:
        return private(_reset_invalid())
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user = accounts.reset_password(token, form.new.data)
        if user is None:  # used meanwhile
            return private(_reset_invalid())
        security.login_succeeded(user.email)  # a lockout ends with the new password
        signin.end()
        flash("Your password is set, and every device was signed out. "
              "Log in with your new password.", "success")
        return redirect(url_for("auth.login"))
    return private(render("auth/reset.html", form=form, token=token,
                           status=submitted_status(form)))


def _reset_invalid():
    return render("errors/link_invalid.html", what="Reset", message=INVALID_RESET,
                  next_url=url_for("auth.forgot_password"), next_label="Ask for a new link",
                  status=404)
