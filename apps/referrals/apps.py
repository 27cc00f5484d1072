from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "apps.referrals"
    label = "referrals"

    def ready(self) -> None:
        from apps.patients.timeline import timeline_source_register
        from apps.referrals.timeline import referral_events

        timeline_source_register("referral", "Referrals", referral_events)
