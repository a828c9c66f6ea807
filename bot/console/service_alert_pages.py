"""Service alerts in the console: Communications (and admin) create one, see what is
live, coming and past, end one early, and publish one as a post on the Facebook page
and X through the outbox (bot/service_alerts/).

While an alert is live the assistant mentions it where it is relevant; the page says
where (actions/service_alerts.py). Creating, ending and publishing are in the console's
audit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Dict, List

from sanic import Blueprint, Request
from sanic.exceptions import NotFound
from sanic.response import HTTPResponse

from bot.console.accounts import Role
from bot.console.web import UK, Console, require_role, see_other
from bot.outbox import Outbox
from bot.service_alerts.alerts import SERVICES, InvalidAlert, ServiceAlert, areas_of
from bot.service_alerts.publishing import FACEBOOK, PUBLISHED_ON, X, check_fits, publish
from bot.service_alerts.store import ServiceAlerts, UnknownAlert, new_id
from bot.settings import Settings

HOME = "/service-alerts"
# How the form's times are written (an <input type="datetime-local">), in UK time.
FORM_TIME = "%Y-%m-%dT%H:%M"


def routes(console: Console) -> Blueprint:
    """The service alerts page, and creating, ending and publishing an alert."""
    bp = Blueprint("console_service_alerts")
    alerts = ServiceAlerts(console.engine)
    outbox = Outbox(console.engine, key=console.settings.outbox_key)
    zone = UK

    @bp.get(HOME)
    async def page(request: Request) -> HTTPResponse:
        require_role(request, Role.COMMUNICATIONS)
        now = console.clock()
        current = await console.run(alerts.current, now)
        past = await console.run(alerts.past, now)
        start = now.astimezone(zone).replace(second=0, microsecond=0)
        return console.render(
            request,
            "service_alerts.html",
            live=[a for a in current if a.live(now)],
            coming=[a for a in current if not a.live(now)],
            past=past,
            services=SERVICES,
            platforms=_platforms(console.settings),
            published_on=PUBLISHED_ON,
            start=start.strftime(FORM_TIME),
            end=(start + timedelta(hours=12)).strftime(FORM_TIME),
            form=request.args,
        )

    @bp.post(HOME)
    async def create(request: Request) -> HTTPResponse:
        staff = require_role(request, Role.COMMUNICATIONS)
        form = request.form
        now = console.clock()
        on = [p for p in form.getlist("publish") or [] if p in _platforms(console.settings)]
        try:
            alert = ServiceAlert(
                id=new_id(),
                title=(form.get("title") or "").strip(),
                message=(form.get("message") or "").strip(),
                services=tuple(s for s in SERVICES if s in (form.getlist("services") or [])),
                areas=areas_of(form.get("areas") or ""),
                starts_at=_time(form.get("starts"), zone, "start"),
                ends_at=_time(form.get("ends"), zone, "end"),
                created_by=staff.name,
                created_at=now,
                urgent=form.get("urgent") == "on",
                reply_within_hours=_hours(form.get("reply_within_hours")),
            )
            check_fits(alert, on)
        except InvalidAlert as problem:
            await console.flash(request, f"The alert was not saved: {problem}.")
            return see_other(HOME)
        await console.run(alerts.add, alert)
        await console.record(
            staff.name,
            "service_alert_created",
            alert.id,
            {"title": alert.title, "areas": alert.where(), "services": list(alert.services)},
        )
        said = f"Alert saved: {alert.title}."
        if on:
            said += " " + await _publish(console, alerts, outbox, alert, on, staff.name)
        await console.flash(request, said)
        return see_other(HOME)

    @bp.post(f"{HOME}/<alert_id>/publish")
    async def publish_alert(request: Request, alert_id: str) -> HTTPResponse:
        staff = require_role(request, Role.COMMUNICATIONS)
        alert = await _found(console, alerts, alert_id)
        on = [p for p in request.form.getlist("publish") or [] if p in _platforms(console.settings)]
        if not on:
            await console.flash(request, "Choose where to publish it.")
            return see_other(HOME)
        try:
            said = await _publish(console, alerts, outbox, alert, on, staff.name)
        except InvalidAlert as problem:
            said = f"It was not published: {problem}."
        await console.flash(request, said)
        return see_other(HOME)

    @bp.post(f"{HOME}/<alert_id>/end")
    async def end(request: Request, alert_id: str) -> HTTPResponse:
        staff = require_role(request, Role.COMMUNICATIONS)
        await _found(console, alerts, alert_id)
        alert = await console.run(alerts.end, alert_id, console.clock())
        await console.record(staff.name, "service_alert_ended", alert.id, {"title": alert.title})
        await console.flash(request, f"Ended: {alert.title}. The assistant no longer mentions it.")
        return see_other(HOME)

    return bp


async def _publish(
    console: Console,
    alerts: ServiceAlerts,
    outbox: Outbox,
    alert: ServiceAlert,
    on: List[str],
    by: str,
) -> str:
    targets = {p: t for p, t in _platforms(console.settings).items() if p in on}
    now = console.clock()
    queued = await console.run(publish, alert, outbox, targets, now)
    await console.run(alerts.published, alert.id, queued, now)
    await console.record(by, "service_alert_published", alert.id, {"platforms": queued})
    where = " and ".join(PUBLISHED_ON[p] for p in queued)
    return f"Its post is in the outbox for {where}: the Outbox page shows when it is sent."


async def _found(console: Console, alerts: ServiceAlerts, alert_id: str) -> ServiceAlert:
    try:
        return await console.run(alerts.get, alert_id)
    except UnknownAlert:
        raise NotFound(f"no service alert {alert_id}") from None


def _platforms(settings: Settings) -> Dict[str, str]:
    """Where an alert can be published: {platform: the page or account it posts as}."""
    found = {}
    if not settings.facebook.missing():
        found[FACEBOOK] = str(settings.facebook.page_id)
    if not settings.twitter.missing():
        found[X] = str(settings.twitter.user_id)
    return found


def _time(text: str | None, zone, what: str) -> datetime:
    try:
        return datetime.strptime((text or "").strip(), FORM_TIME).replace(tzinfo=zone)
    except ValueError:
        raise InvalidAlert(f"give the {what} as a date and time") from None


def _hours(text: str | None) -> int | None:
    if not (text or "").strip():
        return None
    try:
        return int(str(text).strip())
    except ValueError:
        raise InvalidAlert("the wait for a full reply is a number of hours") from None
