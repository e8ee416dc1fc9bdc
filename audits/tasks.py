"""Thin Celery tasks of the audit lifecycle; each is safe to run twice."""

from celery import shared_task


@shared_task(name="audits.daily_deadline_check")
def daily_deadline_check() -> dict:
    """Run once a day (beat: 06:30 Asia/Ho_Chi_Minh): non-compliance first, so that
    its alerts are not sent for an answer that is already recorded as missing."""
    from audits import alerts

    non_compliant = alerts.record_non_compliance()
    sent = alerts.send_deadline_alerts()
    return {"non_compliant": non_compliant, "alerts": sent}
