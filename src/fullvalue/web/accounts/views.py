"""Sign-in (with lockout and a second factor), password reset, invitations, account and tokens."""

from __future__ import annotations

import base64

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from fullvalue.domain.roles import Role
from fullvalue.errors import FullvalueError
from fullvalue.web.accounts import services
from fullvalue.web.accounts.middleware import SESSION_MEMBERSHIP, user_needs_second_factor
from fullvalue.web.accounts.models import Membership, User
from fullvalue.web.accounts.selectors import api_tokens_for, memberships_for_user
from fullvalue.web.kernel.forms import FormState
from fullvalue.web.kernel.pages import page, signin_required
from fullvalue.web.tendering.selectors import panel_waiting

PENDING_USER = "pending_user_id"
PENDING_NEXT = "pending_next"


def _safe_next(request: HttpRequest, target: str | None) -> str:
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


def _landing(request: HttpRequest, user: User) -> str:
    """Where a person's work is: an evaluation panel waiting for them, else the dashboard.

    A person with several roles acts through the membership that has the work, so an evaluator
    who is also, say, a commissioner lands on the panel, acting as the evaluator.
    """
    ids = list(Membership.objects.filter(user=user, is_active=True).values_list("id", flat=True))
    panel = panel_waiting(ids)
    if panel is None:
        return reverse("dashboard")
    request.session[SESSION_MEMBERSHIP] = panel.evaluator_id
    return reverse("tender-evaluation", args=[panel.tender_id])


def _code_already_used(devices: list[TOTPDevice], code: str) -> bool:
    """Whether the code is a right one that has already been used to sign in.

    django-otp refuses a code at or before the last one accepted (so a code seen over a
    shoulder cannot be replayed); this tells that case apart from a wrong code.
    """
    if not (code.isascii() and code.isdigit()):
        return False
    for device in devices:
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        if totp.verify(int(code), device.tolerance) and totp.t() <= device.last_t:
            return True
    return False


def locked_out(
    request: HttpRequest, credentials: dict | None = None, *args, **kwargs
) -> HttpResponse:
    """The page shown by django-axes after too many failed sign-ins."""
    return page(
        request,
        "accounts/locked_out.html",
        "Too many attempts to sign in",
        status=429,
        minutes=int(settings.AXES_COOLOFF_TIME * 60),
    )


def sign_in(request: HttpRequest) -> HttpResponse:
    """Email and password; then a second factor for roles that need one."""
    state = FormState()
    next_url = request.GET.get("next") or request.POST.get("next") or ""
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        email = state.values.get("email", "").lower()
        password = request.POST.get("password", "")
        if not email:
            state.add_error("email", "Enter your email address")
        if not password:
            state.add_error("password", "Enter your password")
        if not state.errors:
            user = authenticate(request, username=email, password=password)
            if getattr(request, "axes_locked_out", False):
                return locked_out(request)
            if user is None:
                state.add_error("email", "Enter a correct email address and password")
            else:
                memberships = list(Membership.objects.filter(user=user, is_active=True))
                if user_needs_second_factor(memberships):
                    request.session.cycle_key()
                    request.session[PENDING_USER] = user.id
                    request.session[PENDING_NEXT] = _safe_next(request, next_url)
                    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
                        return redirect("sign-in-verify")
                    return redirect("two-factor-setup")
                login(request, user)
                return HttpResponseRedirect(
                    _safe_next(request, next_url) or _landing(request, user)
                )
        state.values.pop("password", None)
    return page(
        request,
        "accounts/sign_in.html",
        "Sign in",
        state=state,
        next=next_url,
        nav_active="sign-in",
    )


def _pending_user(request: HttpRequest) -> User | None:
    user_id = request.session.get(PENDING_USER)
    return User.objects.filter(id=user_id, is_active=True).first() if user_id else None


def _complete_sign_in(request: HttpRequest, user: User, device: TOTPDevice) -> HttpResponse:
    target = request.session.get(PENDING_NEXT)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    otp_login(request, device)
    request.session.pop(PENDING_USER, None)
    return HttpResponseRedirect(target or _landing(request, user))


def sign_in_verify(request: HttpRequest) -> HttpResponse:
    """The second step: a 6-digit code from the authenticator app."""
    user = _pending_user(request)
    if user is None:
        return redirect("sign-in")
    state = FormState()
    if request.method == "POST":
        code = request.POST.get("code", "").replace(" ", "")
        devices = list(TOTPDevice.objects.filter(user=user, confirmed=True))
        device = next((d for d in devices if d.verify_token(code)), None)
        if device is not None:
            return _complete_sign_in(request, user, device)
        if _code_already_used(devices, code):
            state.add_error(
                "code",
                "That code has already been used. Wait for the next code in your "
                "authenticator app (codes change every 30 seconds)",
            )
        else:
            state.add_error("code", "Enter the 6-digit code shown in your authenticator app")
    return page(
        request,
        "accounts/verify.html",
        "Enter your security code",
        state=state,
        demo_hint=settings.DEMO_TOTP_HINT,
        email=user.email,
    )


def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app (required before the first sign-in for some roles)."""
    user = _pending_user(request)
    if user is None:
        return redirect("sign-in")
    state = FormState()
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if request.method == "POST" and device is not None:
        try:
            device = services.totp_device_confirm(user=user, code=request.POST.get("code", ""))
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            return _complete_sign_in(request, user, device)
    if device is None:
        device = services.totp_device_start(user=user)
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=5, title="QR code")
    secret = base64.b32encode(device.bin_key).decode()
    return page(
        request,
        "accounts/two_factor_setup.html",
        "Set up your authenticator app",
        state=state,
        qr_svg=qr_svg,
        secret=secret,
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """Sign out (POST only, with CSRF)."""
    logout(request)
    messages.success(request, "You have been signed out.")
    return redirect("home")


def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link by email (the same answer whether or not the address is known)."""
    state = FormState()
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        form = PasswordResetForm({"email": state.values.get("email", "")})
        if form.is_valid():
            form.save(
                request=request,
                use_https=request.is_secure(),
                email_template_name="accounts/password_reset_email.txt",
                subject_template_name="accounts/password_reset_subject.txt",
            )
            return redirect("password-reset-sent")
        state.add_error(
            "email", "Enter an email address in the correct format, like name@example.org"
        )
    return page(request, "accounts/password_reset.html", "Reset your password", state=state)


def password_reset_sent(request: HttpRequest) -> HttpResponse:
    """Confirmation that a link was sent if the address is registered."""
    return page(request, "accounts/password_reset_sent.html", "Check your email")


def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Choose a new password from an emailed link."""
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (User.DoesNotExist, ValueError, TypeError, OverflowError):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        return page(
            request, "accounts/password_reset_invalid.html", "This link has expired", status=400
        )
    state = FormState()
    if request.method == "POST":
        form = SetPasswordForm(
            user,
            {
                "new_password1": request.POST.get("new_password1", ""),
                "new_password2": request.POST.get("new_password2", ""),
            },
        )
        if form.is_valid():
            services.password_reset_complete(user=user, password=form.cleaned_data["new_password1"])
            messages.success(request, "Your password has been changed. You can now sign in.")
            return redirect("sign-in")
        for field, errors in form.errors.items():
            state.add_error(field, errors[0])
    return page(
        request, "accounts/password_reset_confirm.html", "Choose a new password", state=state
    )


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Join an organisation from an invitation link."""
    invitation = services.invitation_for_token(token)
    state = FormState()
    signed_in = request.user.is_authenticated
    if request.method == "POST":
        state = FormState.from_post(request.POST)
        try:
            services.invitation_accept(
                token=token,
                full_name=state.values.get("full_name", ""),
                password=request.POST.get("password", ""),
                user=request.user if signed_in else None,
            )
        except FullvalueError as exc:
            state.absorb(exc)
        else:
            messages.success(request, f"You have joined {invitation.organisation.name}.")
            return redirect("dashboard" if signed_in else "sign-in")
    return page(
        request,
        "accounts/invitation.html",
        "Accept your invitation",
        state=state,
        invitation=invitation,
        signed_in=signed_in,
        role_label=Role(invitation.role).label,
    )


@signin_required
def account(request: HttpRequest) -> HttpResponse:
    """Your roles, second factor and API tokens."""
    actor = request.actor  # type: ignore[attr-defined]
    return page(
        request,
        "accounts/account.html",
        "Your account",
        memberships=memberships_for_user(actor),
        tokens=list(api_tokens_for(actor)),
        has_second_factor=TOTPDevice.objects.filter(user_id=actor.user_id, confirmed=True).exists(),
        new_token=request.session.pop("new_token", None),
        nav_active="account",
    )


@signin_required
def switch_role(request: HttpRequest) -> HttpResponse:
    """Choose which membership to act through."""
    actor = request.actor  # type: ignore[attr-defined]
    memberships = memberships_for_user(actor)
    state = FormState(values={"membership": str(actor.membership_id or "")})
    if request.method == "POST":
        wanted = request.POST.get("membership", "")
        chosen = next((m for m in memberships if str(m.id) == wanted), None)
        if chosen is not None:
            request.session[SESSION_MEMBERSHIP] = chosen.id
            return redirect("dashboard")
        state.add_error("membership", "Choose the role you want to act in")
    return page(
        request, "accounts/switch_role.html", "Change role", state=state, memberships=memberships
    )


@signin_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """Create an API token for the current role; show the secret once."""
    try:
        _, secret = services.api_token_create(
            actor=request.actor, name=request.POST.get("name", "")
        )  # type: ignore[attr-defined]
    except FullvalueError as exc:
        messages.error(request, str(exc.problems[0].reason if exc.problems else exc.message))
        return redirect("account")
    request.session["new_token"] = secret
    return redirect("account")


@signin_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of your tokens."""
    services.api_token_revoke(actor=request.actor, token_id=token_id)  # type: ignore[attr-defined]
    messages.success(request, "The token has been revoked.")
    return redirect("account")
